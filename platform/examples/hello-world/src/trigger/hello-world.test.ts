// Tests a Trigger.dev project against the real `trigger.dev dev` CLI and a local platform: no account, no
// internet, no Docker. startLocalTrigger starts a throwaway Postgres, the platform, and the CLI on a private
// copy of this project; the SDK, configured to it, triggers the project's real task code.
import path from "node:path";
import { configure, runs, tasks } from "@trigger.dev/sdk";
import { startLocalTrigger, type LocalTrigger } from "local-trigger/testing";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { greetUser } from "./greet-user";
import type { greetMany, helloWorld } from "./hello-world";

// Each run starts a task process (a second or two; more on a busy machine), and a parent waits for its children.
vi.setConfig({ testTimeout: 30_000 });

let local: LocalTrigger | undefined;

beforeAll(async () => {
  local = await startLocalTrigger({ projectDir: path.resolve(import.meta.dirname, "../..") });
  configure({ baseURL: local.apiUrl, accessToken: local.secretKey });
}, 120_000); // the CLI builds the tasks before its worker is ready: 10–15 s

afterAll(async () => {
  await local?.stop();
});

it("runs a task and returns its output", async () => {
  const handle = await tasks.trigger<typeof helloWorld>("hello-world", { name: "Ada" });
  const run = await runs.poll(handle, { pollIntervalMs: 100 });
  expect(run.status).toBe("COMPLETED");
  expect(run.output).toEqual({ greeting: "Hello, Ada!" });
});

it("runs a parent that waits for a batch of child runs", async () => {
  const handle = await tasks.trigger<typeof greetMany>("greet-many", { names: ["Ada", "Grace"] });
  const run = await runs.poll(handle, { pollIntervalMs: 100 });
  expect(run.status).toBe("COMPLETED");
  expect(run.output).toEqual({ greetings: ["Hello, Ada!", "Hello, Grace!"], greeted: 2 });
  expect(run.relatedRuns.children?.map((child) => child.status)).toEqual(["COMPLETED", "COMPLETED"]);
});

it("checks a schemaTask's payload", async () => {
  // A valid payload reaches `run` with the schema's defaults applied.
  const ok = await runs.poll(await tasks.trigger<typeof greetUser>("greet-user", { name: "Ada" }), { pollIntervalMs: 100 });
  expect(ok.output).toEqual({ greeting: "Hello, Ada." });

  // Triggered by id, a bad payload makes a run, which fails on its first attempt: no retries.
  const bad = await runs.poll(await tasks.trigger<typeof greetUser>("greet-user", { name: "" }), { pollIntervalMs: 100 });
  expect(bad).toMatchObject({ status: "FAILED", attemptCount: 1, error: { name: "TASK_INPUT_ERROR" } });
  expect(bad.error?.message).toMatch(/Parsing payload with schema failed/);

  // Triggered through the task itself, the SDK checks the payload first: no run is made.
  await expect(greetUser.trigger({ name: "" })).rejects.toThrow(/too_small/);
});
