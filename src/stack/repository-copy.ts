// The files `trigger.dev dev` and `npm start` need, copied under .data/e2e/ (the copy resolves this
// repository's node_modules): tests and benchmarks run the real project there without touching a
// developer's own `npm start` (the CLI's dev.lock would stop its CLI).
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export const PROJECT_ROOT = path.resolve(import.meta.dirname, "../..");

export function copyRepository(): string {
  const target = path.join(PROJECT_ROOT, ".data/e2e", `stack-${randomBytes(4).toString("hex")}`);
  fs.mkdirSync(target, { recursive: true });
  for (const entry of ["jobs", "src", "db", "trigger.config.ts", "package.json", "tsconfig.json"]) {
    fs.cpSync(path.join(PROJECT_ROOT, entry), path.join(target, entry), { recursive: true });
  }
  return target;
}
