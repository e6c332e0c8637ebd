// The test kit: a local Trigger.dev platform and the real `trigger.dev dev` CLI running a project, for a
// project's own tests in CI (no Trigger.dev account, no internet). Trigger with the SDK configured to
// `apiUrl` and `secretKey`; runs execute the project's real task code in the CLI's task processes.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { copyProject, startDevCli, type DevCli } from "../cli/dev-cli";
import { startEmbeddedPostgres } from "../db/embedded-postgres";
import { freePort } from "../http/listen";
import type { PlatformOptions } from "../platform-context";
import { startPlatform, type RunningPlatform } from "../platform-server";

export type LocalTriggerOptions = {
  /** The Trigger.dev project folder (holds trigger.config.ts). */
  projectDir: string;
  /** Postgres for the platform's state; default: a throwaway embedded Postgres, removed on stop. */
  databaseUrl?: string;
  /** The project's ref; default: read from trigger.config.ts (`project: "proj_…"`). */
  projectRef?: string;
  /** Run the CLI in a private copy of the project (default true): a `trigger.dev dev` of your own keeps running. */
  copy?: boolean;
  /** Variables handed to the task processes (GET …/envvars), e.g. a test database's URL. */
  taskEnvironment?: Record<string, string>;
  /** Variables for the CLI process itself. */
  cliEnvironment?: Record<string, string>;
  platform?: Partial<Omit<PlatformOptions, "secretKey" | "defaultProjectRef" | "taskEnvironment">>;
  /** How long the CLI may take to build the tasks and register its worker (default 90 s). */
  readyTimeoutMs?: number;
};

export type LocalTrigger = {
  apiUrl: string;
  /** The project's dev secret key: `configure({ baseURL: apiUrl, accessToken: secretKey })`. */
  secretKey: string;
  projectRef: string;
  platform: RunningPlatform;
  cli: DevCli;
  /** Stops the CLI (and its task processes), the platform and a Postgres it started; removes the copy. */
  stop: () => Promise<void>;
};

export async function startLocalTrigger(options: LocalTriggerOptions): Promise<LocalTrigger> {
  const projectDir = path.resolve(options.projectDir);
  const projectRef = options.projectRef ?? projectRefOf(projectDir);
  const secretKey = `tr_dev_kit${Math.random().toString(36).slice(2, 12)}`;
  const cleanups: (() => Promise<void>)[] = [];
  // Once only: a second call (a test's own and then afterAll's) would otherwise run every cleanup again, and
  // in the wrong order, since reverse() reverses the array in place.
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      for (const cleanup of [...cleanups].reverse()) await cleanup().catch(() => {});
    })());
  try {
    let databaseUrl = options.databaseUrl;
    if (!databaseUrl) {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "local-trigger-pg-"));
      const pg = await startEmbeddedPostgres({ dataDir: path.join(dataDir, "data"), port: await freePort(), ephemeral: true });
      cleanups.push(async () => {
        await pg.stop();
        fs.rmSync(dataDir, { recursive: true, force: true });
      });
      databaseUrl = pg.url;
    }
    const platform = await startPlatform({
      databaseUrl,
      port: 0,
      options: {
        secretKey,
        defaultProjectRef: projectRef,
        dequeue: { holdMs: 1_000, intervalWithRunMs: 0, intervalWithoutRunMs: 20, maxConcurrentRuns: 25 },
        heartbeatTimeoutMs: 30_000,
        defaultMaxAttempts: 3,
        ...options.platform,
        taskEnvironment: options.taskEnvironment ?? {},
      },
    });
    cleanups.push(() => platform.close());
    const runDir = options.copy === false ? projectDir : copyProject(projectDir);
    if (runDir !== projectDir) cleanups.push(async () => fs.rmSync(runDir, { recursive: true, force: true }));
    const cli = startDevCli({
      projectDir: runDir,
      apiUrl: platform.url,
      accessToken: platform.accessToken,
      env: options.cliEnvironment ?? {},
      readyTimeoutMs: options.readyTimeoutMs,
    });
    cleanups.push(() => cli.stop());
    await cli.ready;
    return { apiUrl: platform.url, secretKey, projectRef, platform, cli, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The `project: "proj_…"` of a trigger.config.ts (or .js/.mjs). */
export function projectRefOf(projectDir: string): string {
  for (const name of ["trigger.config.ts", "trigger.config.mts", "trigger.config.js", "trigger.config.mjs"]) {
    const file = path.join(projectDir, name);
    if (!fs.existsSync(file)) continue;
    const ref = /\bproject\s*:\s*["'`](proj_[a-z0-9]+)["'`]/.exec(fs.readFileSync(file, "utf8"))?.[1];
    if (ref) return ref;
    throw new Error(`${file} names no project ref (project: "proj_…"); pass projectRef to startLocalTrigger.`);
  }
  throw new Error(`${projectDir} has no trigger.config.ts: pass the folder of a Trigger.dev project as projectDir.`);
}
