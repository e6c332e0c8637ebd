// The platform is a package of its own: it imports nothing of the order project, every package it imports is
// declared in its package.json, and its modules import each other without cycles (a cycle is how "attempts
// needs crash recovery needs attempts" creeps in). Type-only imports are not edges: they vanish at runtime.
import fs from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import { expect, it } from "vitest";

const PACKAGE = path.resolve(import.meta.dirname, "../..");
const SOURCE = path.join(PACKAGE, "lib");

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.(ts|tsx|mts|mjs)$/.test(entry.name) ? [full] : [];
  });
}

/** Each import's specifier, and whether it is type-only (`import type …` or `export type … from`). */
function importsOf(file: string): { specifier: string; typeOnly: boolean }[] {
  const text = fs.readFileSync(file, "utf8");
  const found: { specifier: string; typeOnly: boolean }[] = [];
  for (const match of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^;]*?from\s+"([^"]+)"/gms)) {
    found.push({ specifier: match[3]!, typeOnly: Boolean(match[2]) });
  }
  for (const match of text.matchAll(/^\s*import\s+"([^"]+)"/gm)) found.push({ specifier: match[1]!, typeOnly: false });
  for (const match of text.matchAll(/import\("([^"]+)"\)/g)) found.push({ specifier: match[1]!, typeOnly: false });
  return found;
}

function resolveLocal(from: string, specifier: string): string | undefined {
  const base = path.resolve(path.dirname(from), specifier);
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, path.join(base, "index.ts")]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

const files = [...sourceFiles(SOURCE), ...sourceFiles(path.join(PACKAGE, "tests")), ...sourceFiles(path.join(PACKAGE, "bin"))];

it("imports nothing outside the package but declared dependencies", () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(PACKAGE, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  const declared = new Set([...Object.keys(manifest.dependencies), ...Object.keys(manifest.devDependencies)]);
  const problems: string[] = [];
  for (const file of files) {
    if (file.includes(`${path.sep}fixture-project${path.sep}`) || file.includes(`${path.sep}examples${path.sep}`)) continue; // projects of their own
    for (const { specifier } of importsOf(file)) {
      if (specifier.startsWith(".")) {
        const target = path.resolve(path.dirname(file), specifier);
        if (!target.startsWith(PACKAGE + path.sep))
          problems.push(`${path.relative(PACKAGE, file)} imports ${specifier}, outside the package`);
        continue;
      }
      if (specifier.startsWith("node:") || builtinModules.includes(specifier)) continue;
      const name = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]!;
      if (!declared.has(name)) problems.push(`${path.relative(PACKAGE, file)} imports ${name}, not declared in platform/package.json`);
    }
  }
  expect(problems).toEqual([]);
});

it("has no import cycle among its modules", () => {
  const edges = new Map<string, string[]>();
  for (const file of sourceFiles(SOURCE)) {
    edges.set(
      file,
      importsOf(file)
        .filter((i) => !i.typeOnly && i.specifier.startsWith("."))
        .map((i) => resolveLocal(file, i.specifier))
        .filter((f): f is string => f !== undefined),
    );
  }
  const cycles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, "open");
    stack.push(file);
    for (const next of edges.get(file) ?? []) {
      if (state.get(next) === "open")
        cycles.push([...stack.slice(stack.indexOf(next)), next].map((f) => path.relative(SOURCE, f)).join(" → "));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of edges.keys()) if (!state.has(file)) visit(file);
  expect(cycles).toEqual([]);
});
