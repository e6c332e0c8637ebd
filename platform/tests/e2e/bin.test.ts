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

it("starts, makes its secrets once (0600), prints the URL, the login link, the access token and the key; the link opens /projects, nothing else does; stops on SIGINT", async () => {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN], {
    cwd: elsewhere,
    env: {
      ...process.env,
      DATABASE_URL: database.url,
      PLATFORM_PORT: String(port),
      TRIGGER_SECRET_KEY: "tr_dev_bintest0123456789",
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
  expect(output).toMatch(/proj_bintest\s+dev\s+TRIGGER_SECRET_KEY=tr_dev_bintest0123456789\s+\S+\/projects\/v3\/proj_bintest\/apikeys/);

  // The secrets: made in DATA_DIR (default .data of the folder it runs in), readable by their owner alone.
  const secretsFile = path.join(elsewhere, ".data", "local-trigger-secrets.json");
  expect(fs.statSync(secretsFile).mode & 0o777).toBe(0o600);
  const secrets = JSON.parse(fs.readFileSync(secretsFile, "utf8")) as { accessToken: string; dashboardToken: string };
  expect(secrets.accessToken).toMatch(/^tr_pat_[0-9a-f]{40}$/);
  expect(output).toContain(`TRIGGER_ACCESS_TOKEN=${secrets.accessToken} npx trigger.dev@`);
  const base = `http://127.0.0.1:${port}`;
  const loginUrl = output.match(/Dashboard \(this link logs you in[^)]*\): (\S+)/)?.[1];
  expect(loginUrl).toBe(`${base}/?token=${secrets.dashboardToken}`);

  // Without the link's cookie, a page is the login page and shows nothing of the platform.
  const anonymous = await fetch(`${base}/projects`);
  expect(anonymous.status).toBe(401);
  expect(await anonymous.text()).not.toContain("proj_bintest");
  // The link sets an HttpOnly, SameSite=Strict cookie and sends the browser on without the token.
  const login = await fetch(loginUrl!, { redirect: "manual" });
  expect(login.status).toBe(303);
  expect(login.headers.get("location")).toBe("/");
  const cookie = login.headers.get("set-cookie") ?? "";
  expect(cookie).toMatch(/HttpOnly/i);
  expect(cookie).toMatch(/SameSite=Strict/i);
  const projects = await fetch(`${base}/projects`, { headers: { cookie: cookie.split(";")[0]! } });
  expect(projects.status).toBe(200);
  expect(await projects.text()).toContain("proj_bintest");

  // The printed access token is the CLI's; another well-formed one is not.
  expect((await fetch(`${base}/api/v2/whoami`, { headers: { authorization: `Bearer ${secrets.accessToken}` } })).status).toBe(200);
  expect((await fetch(`${base}/api/v2/whoami`, { headers: { authorization: "Bearer tr_pat_guessed0123456789" } })).status).toBe(401);
  child.kill("SIGINT");
  expect(await exited).toBe(0);
}, 90_000);
