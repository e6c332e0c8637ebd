// The local platform for an e2e test file: its own database, port 0, tuned for fast tests, plus the SDK
// configured to trigger into it, and the real CLI running the fixture project against it.
import path from "node:path";
import { configure, runs } from "@trigger.dev/sdk";
import { afterAll, beforeAll } from "vitest";
import { startLocalTrigger, type LocalTrigger } from "../../lib/testing";
import { copyProject, startDevCli, type DevCli } from "../../lib/cli/dev-cli";
import type { PlatformOptions } from "../../lib/platform-context";
import { startPlatform } from "../../lib/platform-server";
import { dashboardSecrets, SESSION_COOKIE } from "../../lib/dashboard/dashboard-session";
import { createTestDatabase, type TestDatabase } from "./test-database";

export const FIXTURE_PROJECT = path.resolve(import.meta.dirname, "../fixture-project");
export const FIXTURE_REF = "proj_platformfixture";
export const SECRET_KEY = "tr_dev_e2e";
export const ACCESS_TOKEN = "tr_pat_e2e";
export const DASHBOARD_TOKEN = "dashboard-e2e";

/** What a logged-in dashboard page sends: the session cookie and the CSRF token (for a test platform's pages). */
export function dashboardHeaders(): Record<string, string> {
  const { session, csrf } = dashboardSecrets(DASHBOARD_TOKEN);
  return { cookie: `${SESSION_COOKIE}=${session}`, "x-csrf-token": csrf };
}

export function testPlatformOptions(overrides: Partial<PlatformOptions> = {}): PlatformOptions {
  return {
    secretKey: SECRET_KEY,
    accessToken: ACCESS_TOKEN,
    dashboardToken: DASHBOARD_TOKEN,
    defaultProjectRef: FIXTURE_REF,
    dequeue: { holdMs: 1_000, intervalWithRunMs: 0, intervalWithoutRunMs: 20, maxConcurrentRuns: 25 },
    heartbeatTimeoutMs: 30_000,
    defaultMaxAttempts: 3,
    taskEnvironment: {},
    ...overrides,
  };
}

export type PlatformHarness = Awaited<ReturnType<typeof startPlatformHarness>>;

export async function startPlatformHarness(options: { port?: number; platform?: Partial<PlatformOptions>; database?: TestDatabase } = {}) {
  const database = options.database ?? (await createTestDatabase());
  const platform = await startPlatform({
    databaseUrl: database.url,
    port: options.port ?? 0,
    options: testPlatformOptions(options.platform),
  });
  configure({ baseURL: platform.url, accessToken: SECRET_KEY });
  return { database, platform, url: platform.url };
}

/** For a file that needs the platform but no CLI: started before its tests (SDK configured to it), stopped after. */
export function usePlatformHarness(options: Parameters<typeof startPlatformHarness>[0] = {}) {
  const state: { h?: PlatformHarness } = {};
  beforeAll(async () => {
    state.h = await startPlatformHarness(options);
  });
  afterAll(async () => {
    await state.h?.platform.close();
    await state.h?.database.close();
  });
  return () => state.h!;
}

/** The fixture project copied for this file, with the CLI started on it and ready. */
export async function startFixtureCli(apiUrl: string): Promise<DevCli> {
  const cli = startDevCli({ projectDir: copyProject(FIXTURE_PROJECT), apiUrl, accessToken: ACCESS_TOKEN });
  await cli.ready;
  return cli;
}

/** Polls runs.retrieve until the run has finished (or `ms` pass). */
export async function waitForRun(id: string, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const run = await runs.retrieve(id);
    if (run.isCompleted) return run;
    if (Date.now() > deadline) throw new Error(`run ${id} still ${run.status} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function waitForStatus(id: string, statuses: string[], ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const run = await runs.retrieve(id);
    if (statuses.includes(run.status)) return run;
    if (Date.now() > deadline) {
      // What the run went through, so that a failure on CI says why without a rerun.
      const children = run.relatedRuns.children?.map((child) => `${child.id} ${child.status}`).join(", ") || "none";
      const why = run.error ? `; its error: ${run.error.message}` : "";
      throw new Error(
        `run ${id} is ${run.status}, not ${statuses.join("/")} after ${ms} ms (${run.attemptCount} attempt(s); children: ${children}${why})`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** For an e2e file: the fixture project run by the test kit (startLocalTrigger: the platform on the file's
 *  database and the real CLI in a private copy), started before its tests, stopped after. */
export function useFixturePlatform(options: { platform?: Partial<PlatformOptions> } = {}) {
  const state: { database?: TestDatabase; local?: LocalTrigger } = {};
  beforeAll(async () => {
    state.database = await createTestDatabase();
    const started = Date.now();
    const {
      secretKey: _key,
      defaultProjectRef: _ref,
      taskEnvironment: _env,
      accessToken: _token,
      ...tuning
    } = testPlatformOptions(options.platform);
    state.local = await startLocalTrigger({ projectDir: FIXTURE_PROJECT, databaseUrl: state.database.url, platform: tuning });
    configure({ baseURL: state.local.apiUrl, accessToken: state.local.secretKey });
    console.log(`trigger.dev dev ready in ${Date.now() - started} ms`);
  }, 120_000);
  afterAll(async () => {
    await state.local?.stop();
    await state.database?.close();
  });
  return {
    get h() {
      return { database: state.database!, platform: state.local!.platform, url: state.local!.apiUrl, secretKey: state.local!.secretKey };
    },
  };
}
