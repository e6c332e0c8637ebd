// `npx local-trigger` from another project's folder (not this repository's): the bin starts the platform on
// the given database, prints where it is and the key to use, serves the dashboard (whatever tsconfig that
// folder has), and Ctrl-C stops it cleanly.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { freePort } from "../../lib/http/listen";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

const BIN = path.resolve(import.meta.dirname, "../../bin/local-trigger.mjs");
let database: TestDatabase;
let elsewhere: string;
beforeAll(async () => {
  database = await createTestDatabase();
  elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), "another-project-"));
  // A project whose own tsconfig would compile JSX for React: the platform's pages must not care.
  fs.writeFileSync(path.join(elsewhere, "tsconfig.json"), JSON.stringify({ compilerOptions: { jsx: "react" } }));
});
afterAll(async () => {
  fs.rmSync(elsewhere, { recursive: true, force: true });
  await database.close();
});

it("starts, prints the URL and the project's key, serves /projects, and stops on SIGINT", async () => {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN], {
    cwd: elsewhere,
    env: {
      ...process.env,
      DATABASE_URL: database.url,
      PLATFORM_PORT: String(port),
      TRIGGER_SECRET_KEY: "tr_dev_bintest",
      TRIGGER_PROJECT_REF: "proj_bintest",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  while (!/has its key on its API keys page/.test(output)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the bin did not come up:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(output).toContain(`Local Trigger.dev platform on http://127.0.0.1:${port}`);
  expect(output).toMatch(/proj_bintest\s+dev\s+TRIGGER_SECRET_KEY=tr_dev_bintest\s+\S+\/projects\/v3\/proj_bintest\/apikeys/);
  const projects = await fetch(`http://127.0.0.1:${port}/projects`);
  expect(projects.status).toBe(200);
  expect(await projects.text()).toContain("proj_bintest");
  child.kill("SIGINT");
  expect(await exited).toBe(0);
}, 90_000);
