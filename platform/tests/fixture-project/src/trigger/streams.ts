// Tasks the realtime streams tests watch: output streams written every way the SDK has (pipe, writer,
// define, append, metadata.stream), and input streams waited on (wait) and listened to (once, on).
import { metadata, streams, task } from "@trigger.dev/sdk";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export type Step = { index: number; text: string };

async function* steps(count: number, pauseMs: number): AsyncGenerator<Step> {
  for (let index = 0; index < count; index++) {
    yield { index, text: `step ${index}` };
    await pause(pauseMs);
  }
}

/** Pipes `count` steps to the stream `key`, one every `pauseMs` (an LLM's tokens, say). */
export const pipesSteps = task({
  id: "pipes-steps",
  run: async (payload: { count: number; pauseMs: number; key?: string }) => {
    const { waitUntilComplete } = streams.pipe(payload.key ?? "steps", steps(payload.count, payload.pauseMs));
    await waitUntilComplete();
    return { sent: payload.count };
  },
});

/** The typed stream `defined`, written with .writer() and .append(), next to the default stream's writer. */
export const progressStream = streams.define<{ stage: string }>({ id: "defined" });

export const writesStreams = task({
  id: "writes-streams",
  run: async () => {
    const log = streams.writer("log", {
      execute: ({ write }) => {
        write("first line");
        write("second line");
      },
    });
    await log.waitUntilComplete();
    const staged = progressStream.writer({
      execute: ({ write }) => {
        write({ stage: "planned" });
        write({ stage: "built" });
      },
    });
    await staged.waitUntilComplete();
    await progressStream.append({ stage: "shipped" });
    return { ok: true };
  },
});

/** metadata.stream (deprecated, still used): the steps under `key`. */
export const metadataStream = task({
  id: "metadata-stream",
  run: async (payload: { count: number; key: string }) => {
    const stream = await metadata.stream(payload.key, steps(payload.count, 50));
    let seen = 0;
    for await (const _ of stream) seen++;
    return { seen };
  },
});

/** streams.append into another run's stream (its `target`), one part at a time. */
export const appendsToRun = task({
  id: "appends-to-run",
  run: async (payload: { runId: string; key: string; parts: string[] }) => {
    for (const part of payload.parts) await streams.append(payload.key, part, { target: payload.runId });
    return { appended: payload.parts.length };
  },
});

export type Approval = { approved: boolean; by: string };
export const approval = streams.input<Approval>({ id: "approval" });

/** Blocks on the next approval (the run suspends on a waitpoint), after `delayMs`. */
export const waitsForApproval = task({
  id: "waits-for-approval",
  run: async (payload: { timeout?: string; delayMs?: number }) => {
    if (payload.delayMs) await pause(payload.delayMs);
    const result = await approval.wait({ timeout: payload.timeout ?? "1m" });
    return result.ok ? { ok: true, output: result.output } : { ok: false, error: result.error.message };
  },
});

/** once() for the first approval, then on() until `count` in all. */
export const listensForApprovals = task({
  id: "listens-for-approvals",
  run: async (payload: { count: number }) => {
    const first = await approval.once({ timeoutMs: 30_000 }).unwrap();
    const rest: Approval[] = [];
    if (payload.count > 1) {
      await new Promise<void>((resolve) => {
        const subscription = approval.on((data) => {
          rest.push(data);
          if (rest.length >= payload.count - 1) {
            subscription.off();
            resolve();
          }
        });
      });
    }
    return { approvals: [first, ...rest] };
  },
});
