// How many round trips to Postgres (statements, COMMIT included; BEGIN leaves with the first statement,
// platform/lib/db/pipelined-transaction.ts) each step of an order-shaped workflow costs the engine: a parent that runs three children one after the other with triggerAndWait, each child keyed as the
// order workflow keys its steps. On two cores the platform's statements come straight out of the CLI's and the
// task processes' share (issue 16), so each step has a budget, and a change that adds a round trip to the hot
// path fails here rather than somewhere in a benchmark's noise.
import { describe, expect, it } from "vitest";
import { internalId } from "../../lib/ids";
import { useCountingEngine } from "./engine-harness";

/** Round trips per step once warm (the first dequeue and start also load the queue settings, the worker and the
 *  driver's types), as this engine sends them; lower one when a change saves a round trip. Before issue 16's
 *  merges a child's trigger took 14 and its completion 15.
 *  The steps here follow each other within milliseconds, as the CLI's do under load. */
const BUDGET = {
  "trigger the parent": 1,
  dequeue: 4,
  "start an attempt": 3, // 4 when the environment's variables were last read over a second ago
  "trigger a child and block the parent on it": 6,
  "complete the child, resuming the parent": 7,
  "the CLI's poll of the resumed parent": 1,
  "complete the parent": 3,
};
type Step = keyof typeof BUDGET;

const { statements: seen, engine } = useCountingEngine([{ id: "workflow" }, { id: "step" }]);

describe("statements per step of an order-shaped workflow", () => {
  it("each step stays within its budget", async () => {
    const h = engine();
    /** Each step's statements, the last time it ran. */
    const last = new Map<Step, string[]>();
    const count = async <T>(step: Step, action: () => Promise<T>): Promise<T> => {
      seen.length = 0;
      const result = await action();
      last.set(
        step,
        seen.filter((statement) => !/^begin\b/i.test(statement)).map((statement) => statement.replace(/\s+/g, " ").slice(0, 120)),
      );
      return result;
    };

    const parent = (await count("trigger the parent", () => h.trigger("workflow"))).run.friendlyId;
    const start = async (expected: string) => {
      const [message] = await count("dequeue", () => h.dequeue());
      expect(message?.run.friendlyId).toBe(expected);
      await count("start an attempt", () => h.engine.startAttempt(h.env, message!.run.id, message!.snapshot.friendlyId));
    };
    await start(parent);
    for (const name of ["reserve", "charge", "mail"]) {
      const child = await count("trigger a child and block the parent on it", () =>
        h.trigger("step", {
          options: { parentRunId: parent, resumeParentOnCompletion: true, idempotencyKey: `order-1-${name}`, tags: ["order:1"] },
        }),
      );
      expect(await h.run(parent)).toMatchObject({ status: "WAITING_TO_RESUME" });
      await start(child.run.friendlyId);
      await count("complete the child, resuming the parent", () => h.succeed(child.run.friendlyId, { step: name }));
      const polled = await count("the CLI's poll of the resumed parent", () => h.engine.latestSnapshot(h.env, internalId(parent)));
      expect(polled?.snapshot).toMatchObject({ executionStatus: "EXECUTING" });
      expect(polled?.snapshot.completedWaitpoints).toEqual([expect.objectContaining({ output: JSON.stringify({ step: name }) })]);
    }
    await count("complete the parent", () => h.succeed(parent, { done: true }));
    expect(await h.run(parent)).toMatchObject({ status: "COMPLETED_SUCCESSFULLY" });

    for (const step of Object.keys(BUDGET) as Step[]) {
      const statements = last.get(step) ?? [];
      expect(statements.length, `${step}:\n${statements.join("\n")}`).toBeLessThanOrEqual(BUDGET[step]);
    }
  });
});
