// The test kit (local-trigger/testing) beyond what platform/examples/hello-world shows: clear errors for a
// folder that is not a Trigger.dev project, what a project copy leaves out, two kits on one project at once,
// and a stop() that leaves no process and no copy behind.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { auth, runs, tasks } from "@trigger.dev/sdk";
import { afterAll, describe, expect, it } from "vitest";
import { COPIES_FOLDER, copyProject, processGroupIsLive, processIsLive } from "../../lib/cli/dev-cli";
import { projectRefOf, startLocalTrigger, type LocalTrigger } from "../../lib/testing";
import { FIXTURE_PROJECT, FIXTURE_REF } from "../support/platform";
import { createTestDatabase } from "../support/test-database";

// Run last first: a kit stops before the database it uses is dropped.
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function tempProject(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kit-project-"));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

describe("the project ref", () => {
  it("is read from trigger.config.ts", () => {
    expect(projectRefOf(FIXTURE_PROJECT)).toBe(FIXTURE_REF);
  });

  it("a folder without trigger.config.ts is named, with what to pass, before anything starts", async () => {
    const dir = tempProject({ "package.json": "{}" });
    const message = `${dir} has no trigger.config.ts: pass the folder of a Trigger.dev project as projectDir.`;
    expect(() => projectRefOf(dir)).toThrow(message);
    await expect(startLocalTrigger({ projectDir: dir })).rejects.toThrow(message);
  });

  it("a trigger.config.ts without a project ref is named, with what to pass", async () => {
    const dir = tempProject({ "trigger.config.ts": `export default defineConfig({ project: process.env.REF!, dirs: ["./src"] });` });
    const message = `${path.join(dir, "trigger.config.ts")} names no project ref (project: "proj_…"); pass projectRef to startLocalTrigger.`;
    expect(() => projectRefOf(dir)).toThrow(message);
    await expect(startLocalTrigger({ projectDir: dir })).rejects.toThrow(message);
  });
});

describe("a project copy", () => {
  it("leaves out node_modules, .trigger and .git, and lives in the project's .trigger folder", () => {
    const dir = tempProject({
      "trigger.config.ts": `export default { project: "proj_copy" };`,
      "src/trigger/task.ts": "export {};",
      ".env": "KEY=value",
      "node_modules/dep/index.js": "",
      ".trigger/dev.lock": "",
      ".git/HEAD": "",
    });
    const copy = copyProject(dir);
    expect(path.dirname(copy)).toBe(path.join(dir, COPIES_FOLDER));
    expect(fs.readdirSync(copy).sort()).toEqual([".env", "src", "trigger.config.ts"]);
    expect(fs.readFileSync(path.join(copy, "src/trigger/task.ts"), "utf8")).toBe("export {};");
  });

  it("is ignored by git (the repo's .gitignore has .trigger/)", () => {
    for (const project of [FIXTURE_PROJECT, path.resolve(import.meta.dirname, "../../examples/hello-world")]) {
      const copyFile = path.join(project, COPIES_FOLDER, "any-copy", "trigger.config.ts");
      // Exits 0 when the path is ignored, 1 (a throw here) when it is not.
      execFileSync("git", ["check-ignore", "--quiet", copyFile], { cwd: project });
    }
  });
});

describe("startLocalTrigger", () => {
  // Given a database (a clone of this run's template) rather than the default embedded Postgres: the
  // hello-world example shows that default.
  async function start(): Promise<LocalTrigger> {
    const database = await createTestDatabase();
    cleanups.push(() => database.close());
    const started = Date.now();
    const kit = await startLocalTrigger({ projectDir: FIXTURE_PROJECT, databaseUrl: database.url });
    cleanups.push(kit.stop); // stop() runs once however often it is called
    console.log(`startLocalTrigger (given a database) ready in ${Date.now() - started} ms`);
    return kit;
  }

  /** Triggers `echo` on one kit; auth.withAuth, since configure() is global and two kits run at once. */
  function echoOn(kit: LocalTrigger, message: string) {
    return auth.withAuth({ baseURL: kit.apiUrl, accessToken: kit.secretKey }, async () =>
      runs.poll(await tasks.trigger("echo", { message }), { pollIntervalMs: 100 }),
    );
  }

  it("runs two kits on one project at once, each in a private copy; stop() leaves no process and no copy behind", async () => {
    const first = await start();
    // The CLI's dev.lock is per folder: on the project itself, the second CLI would stop the first.
    const second = await start();
    expect(second.cli.projectDir).not.toBe(first.cli.projectDir);
    expect((await echoOn(first, "first")).output).toMatchObject({ echoed: "first" });
    expect((await echoOn(second, "second")).output).toMatchObject({ echoed: "second" });

    const watchdogFile = path.join(second.cli.projectDir, ".trigger/watchdog.pid");
    const watchdogPid = Number(fs.readFileSync(watchdogFile, "utf8").replace("trigger-watchdog:", ""));
    await second.stop();
    // The CLI, its task processes (its process group: the fixture keeps them alive between runs) and its
    // watchdog (a group of its own) are gone, and so is the copy. (Zombies don't count: reaping them is
    // init's business, and some containers' init is slow at it.)
    expect(() => process.kill(second.cli.pid, 0)).toThrow(/ESRCH/);
    expect(processGroupIsLive(second.cli.pid)).toBe(false);
    expect(processIsLive(watchdogPid)).toBe(false);
    expect(fs.existsSync(second.cli.projectDir)).toBe(false);
    await expect(fetch(second.apiUrl)).rejects.toThrow();

    // The first kit ran on undisturbed.
    expect((await echoOn(first, "still here")).output).toMatchObject({ echoed: "still here" });
    await first.stop();
    expect(() => process.kill(first.cli.pid, 0)).toThrow(/ESRCH/);
    expect(processGroupIsLive(first.cli.pid)).toBe(false);
    expect(fs.existsSync(first.cli.projectDir)).toBe(false);
  }, 240_000);
});
