// GET /metrics (issue 15): Prometheus' text format, checked after a known set of runs through the real CLI.
import { runs, tasks } from "@trigger.dev/sdk";
import { describe, expect, it } from "vitest";
import { FIXTURE_REF, useFixturePlatform, waitForRun } from "../support/platform";

const fixture = useFixturePlatform();

const scrape = async (token = fixture.h.platform.accessToken) =>
  fetch(`${fixture.h.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });

/** The value of one sample: `name{labels…}`, the labels given in any order; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split("\n")) {
    const match = /^([a-z_]+)\{(.*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...match[2]!.matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

describe("GET /metrics", () => {
  it("counts what ran: runs finished by task and status, attempts, durations, queue waits; runs now by status; queues", async () => {
    const project = FIXTURE_REF;
    const echoes = await Promise.all([1, 2, 3].map((n) => tasks.trigger("echo", { message: `m${n}` })));
    const failing = await tasks.trigger("always-fails", null); // two attempts, then FAILED
    const aborting = await tasks.trigger("aborts", null); // one attempt, FAILED
    const delayed = await tasks.trigger("noop", null, { delay: "1h" });
    for (const handle of [...echoes, failing, aborting]) await waitForRun(handle.id, 30_000);
    await runs.cancel(delayed.id);
    const delayedAgain = await tasks.trigger("noop", null, { delay: "1h" });

    const answer = await scrape();
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await answer.text();
    expect(sample(text, "trigger_runs_finished_total", { project, task: "echo", status: "COMPLETED" })).toBe(3);
    expect(sample(text, "trigger_runs_finished_total", { project, task: "always-fails", status: "FAILED" })).toBe(1);
    expect(sample(text, "trigger_runs_finished_total", { project, task: "aborts", status: "FAILED" })).toBe(1);
    expect(sample(text, "trigger_runs_finished_total", { project, task: "noop", status: "CANCELED" })).toBe(1);
    expect(sample(text, "trigger_attempts_started_total", { project, task: "always-fails" })).toBe(2);
    expect(sample(text, "trigger_attempts_started_total", { project, task: "echo" })).toBe(3);
    expect(sample(text, "trigger_run_duration_seconds_count", { project, task: "echo", status: "COMPLETED" })).toBe(3);
    expect(sample(text, "trigger_run_queue_wait_seconds_count", { project, task: "echo", queue: "task/echo" })).toBe(3);
    // Runs now: the delayed one waits; the cancelled one and the three echoes are counted where they ended.
    expect(sample(text, "trigger_runs", { project, task: "noop", queue: "task/noop", status: "DELAYED" })).toBe(1);
    expect(sample(text, "trigger_runs", { project, task: "noop", queue: "task/noop", status: "CANCELED" })).toBe(1);
    expect(sample(text, "trigger_runs", { project, task: "echo", queue: "task/echo", status: "COMPLETED" })).toBe(3);
    // Queues: the custom queue's limit; none running now.
    expect(sample(text, "trigger_queue_concurrency_limit", { project, queue: "single-file" })).toBe(1);
    expect(sample(text, "trigger_queue_running", { project, queue: "task/echo" })).toBe(0);
    expect(sample(text, "trigger_dequeue_duration_seconds_count", {})).toBeUndefined(); // unlabelled: its own line
    expect(text).toMatch(/^trigger_dequeue_duration_seconds_count \d+$/m);
    await runs.cancel(delayedAgain.id);
  }, 60_000);

  it("needs the platform's access token: none is 401, a project's key 403", async () => {
    expect((await fetch(`${fixture.h.url}/metrics`)).status).toBe(401);
    const withKey = await scrape(fixture.h.secretKey);
    expect(withKey.status).toBe(403);
    expect(await withKey.json()).toEqual({ error: "The metrics need the platform's access token, not a project's key" });
  });
});
