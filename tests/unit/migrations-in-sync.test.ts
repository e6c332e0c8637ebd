// The committed migrations are what drizzle-kit generates from db/schema: nobody edited a migration by
// hand, and nobody changed the schema without generating one.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";

it("db/migrations matches db/schema", () => {
  // drizzle-kit takes --out relative to the project, so the copy lives under .data/.
  fs.mkdirSync(".data", { recursive: true });
  const copy = path.relative(process.cwd(), fs.mkdtempSync(path.join(".data", "migrations-check-")));
  fs.cpSync("db/migrations", copy, { recursive: true });
  const before = fs.readdirSync(copy).sort();
  const run = spawnSync(
    "npx",
    ["drizzle-kit", "generate", "--dialect", "postgresql", "--schema", "./db/schema/index.ts", "--out", copy],
    { encoding: "utf8" },
  );
  const output = `${run.stdout}${run.stderr}`;
  const after = fs.readdirSync(copy).sort();
  fs.rmSync(copy, { recursive: true, force: true });
  expect(after, `drizzle-kit generated a new migration; run npm run db:generate and commit it.\n${output}`).toEqual(before);
  expect(output).toMatch(/No schema changes/);
}, 60_000);
