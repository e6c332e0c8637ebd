// Each chain's committed migrations are what drizzle-kit generates from its schema: nobody edited a
// migration by hand, and nobody changed a schema without generating one. Three chains: the order project's,
// the platform's and the stand-ins'.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";

const CHAINS = [
  {
    name: "the order project",
    dir: ".",
    schema: "./db/schema/fulfillment.ts",
    migrations: "db/migrations",
    command: "npm run db:generate",
  },
  {
    name: "the platform",
    dir: "platform",
    schema: "./lib/db/schema.ts",
    migrations: "migrations",
    command: "npm run db:generate -w local-trigger",
  },
  {
    name: "the stand-ins",
    dir: "stand-ins",
    schema: "./lib/db/schema.ts",
    migrations: "migrations",
    command: "npm run db:generate -w local-stand-ins",
  },
];

it.each(CHAINS)(
  "$name: migrations match the schema",
  ({ dir, schema, migrations, command }) => {
    // drizzle-kit takes --out relative to the package, so the copy lives under its .data/.
    const root = path.resolve(dir);
    fs.mkdirSync(path.join(root, ".data"), { recursive: true });
    const copy = path.relative(root, fs.mkdtempSync(path.join(root, ".data", "migrations-check-")));
    fs.cpSync(path.join(root, migrations), path.join(root, copy), { recursive: true });
    const before = fs.readdirSync(path.join(root, copy)).sort();
    const run = spawnSync("npx", ["drizzle-kit", "generate", "--dialect", "postgresql", "--schema", schema, "--out", copy], {
      cwd: root,
      encoding: "utf8",
    });
    const output = `${run.stdout}${run.stderr}`;
    const after = fs.readdirSync(path.join(root, copy)).sort();
    fs.rmSync(path.join(root, copy), { recursive: true, force: true });
    expect(after, `drizzle-kit generated a new migration; run ${command} and commit it.\n${output}`).toEqual(before);
    expect(output).toMatch(/No schema changes/);
  },
  60_000,
);
