// A task's metadata flushes (PUT /api/v1/runs/:run/metadata): the SDK sends its whole store each time, so a
// flush for the run alone is one UPDATE, with no transaction and no read of the row; operations on the parent
// or the root lock those rows and apply to what they hold.
import { expect, it } from "vitest";
import { readMetadata } from "../../lib/engine/run-metadata";
import { useCountingEngine } from "./engine-harness";

const { statements: seen, engine } = useCountingEngine([{ id: "workflow" }, { id: "step" }]);

it("a flush of the run's own store is one statement, the store with its operations applied", async () => {
  const h = engine();
  const { run } = await h.trigger("workflow");
  const row = await h.run(run.friendlyId);
  seen.length = 0;
  const metadata = await h.engine.updateMetadata(row, {
    metadata: { step: "charge", percent: 40, done: [] },
    operations: [{ type: "append", key: "done", value: "reserve" }],
  });
  expect(seen.map((statement) => statement.replace(/\s+/g, " ").slice(0, 40))).toEqual([
    expect.stringMatching(/^update "trigger_platform"."runs" set/),
  ]);
  expect(metadata).toEqual({ step: "charge", percent: 40, done: ["reserve"] });
  expect(readMetadata(await h.run(run.friendlyId))).toEqual(metadata);
});

it("operations on the parent are applied to what the parent holds, beside the child's own store", async () => {
  const h = engine();
  const parent = (await h.trigger("workflow")).run.friendlyId;
  await h.engine.updateMetadata(await h.run(parent), { metadata: { step: "reserve", percent: 10 } });
  const child = (await h.trigger("step", { options: { parentRunId: parent } })).run.friendlyId;
  const metadata = await h.engine.updateMetadata(await h.run(child), {
    metadata: { attempt: 1 },
    parentOperations: [{ type: "set", key: "step", value: "charge" }],
  });
  expect(metadata).toEqual({ attempt: 1 });
  expect(readMetadata(await h.run(child))).toEqual({ attempt: 1 });
  expect(readMetadata(await h.run(parent))).toEqual({ step: "charge", percent: 10 });
});
