// Durability: the platform restarts with a delayed run and a waiting run outstanding; the CLI dies with
// runs in flight (with and without its watchdog). Everything finishes, once.
import { runs, tasks } from "@trigger.dev/sdk";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attempts } from "../../lib/db/schema";
import { internalId } from "../../lib/ids";
import { startPlatform } from "../../lib/platform-server";
import { copyProject, killWatchdog, startDevCli, type DevCli } from "../../lib/cli/dev-cli";
import {
  ACCESS_TOKEN,
  FIXTURE_PROJECT,
  startPlatformHarness,
  testPlatformOptions,
  waitForRun,
  waitForStatus,
  type PlatformHarness,
} from "../support/platform";

const options = { heartbeatTimeoutMs: 8_000 };
let h: PlatformHarness;
let platform: PlatformHarness["platform"];
let projectDir: string;
let cli: DevCli;

beforeAll(async () => {
  h = await startPlatformHarness({ platform: options });
  platform = h.platform;
  projectDir = copyProject(FIXTURE_PROJECT);
  cli = startDevCli({ projectDir, apiUrl: h.url, accessToken: ACCESS_TOKEN });
  await cli.ready;
}, 120_000);

afterAll(async () => {
  await cli?.stop();
  await platform?.close();
  await h?.database.close();
});

const attemptsOf = async (runId: string) =>
  h.database.db
    .select()
    .from(attempts)
    .where(eq(attempts.runId, internalId(runId)));

describe("a platform restart", () => {
  it("loses nothing: a delayed run and a waiting run both finish, once", async () => {
    const delayed = await tasks.trigger("echo", { message: "delayed across a restart" }, { delay: "3s" });
    const waiting = await tasks.trigger("parent", { message: "waiting across a restart", waitSeconds: 6 });
    await waitForStatus(waiting.id, ["WAITING"], 20_000);
    await new Promise((r) => setTimeout(r, 1_000)); // now on its wait.for, the child done

    await platform.close();
    await new Promise((r) => setTimeout(r, 4_000)); // the delay comes due while the platform is down
    platform = await startPlatform({
      databaseUrl: h.database.url,
      port: new URL(h.url).port ? Number(new URL(h.url).port) : 0,
      options: testPlatformOptions(options),
    });

    const [d, w] = await Promise.all([waitForRun(delayed.id, 30_000), waitForRun(waiting.id, 30_000)]);
    expect(d).toMatchObject({ status: "COMPLETED", attemptCount: 1 });
    expect(w).toMatchObject({ status: "COMPLETED", attemptCount: 1, output: { fromChild: "waiting across a restart" } });
    expect(w.relatedRuns.children).toHaveLength(1);
    expect(await attemptsOf(waiting.id)).toHaveLength(1);
  }, 90_000);
});

describe("a dying CLI", () => {
  it("SIGKILL with its watchdog alive: the watchdog reports it, the run is retried by the next CLI", async () => {
    const handle = await tasks.trigger("parent", { message: "survives a killed CLI", waitSeconds: 30 });
    await waitForStatus(handle.id, ["WAITING"], 20_000);
    await cli.stop("crash"); // the CLI and its task processes; the watchdog lives in its own group
    const requeued = await waitForStatus(handle.id, ["QUEUED"], 15_000);
    expect(requeued.status).toBe("QUEUED");
    cli = startDevCli({ projectDir, apiUrl: h.url, accessToken: ACCESS_TOKEN });
    await cli.ready;
    const run = await waitForStatus(handle.id, ["WAITING", "COMPLETED"], 30_000);
    expect(run.attemptCount).toBe(2);
    await runs.cancel(handle.id); // no need to sit out its 30 s wait
    // Cancelled and done with before the next test starts a run on the same CLI (whose task process may be the
    // one this run is being cancelled in).
    await waitForStatus(handle.id, ["CANCELED"], 15_000);
  }, 90_000);

  it("SIGKILL of everything, watchdog included: the stopped heartbeat requeues the run", async () => {
    const handle = await tasks.trigger("parent", { message: "no watchdog", waitSeconds: 30 });
    await waitForStatus(handle.id, ["WAITING"], 20_000);
    killWatchdog(projectDir);
    await cli.stop("crash");
    const requeued = await waitForStatus(handle.id, ["QUEUED"], 40_000); // heartbeat timeout is 8 s here (twice: stop, then requeue)
    expect(requeued.attemptCount).toBe(1);
    cli = startDevCli({ projectDir, apiUrl: h.url, accessToken: ACCESS_TOKEN });
    await cli.ready;
    const run = await waitForStatus(handle.id, ["WAITING", "COMPLETED"], 30_000);
    expect(run.attemptCount).toBe(2);
    await runs.cancel(handle.id);
  }, 90_000);
});
