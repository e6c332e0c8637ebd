// Run metadata operations, as @trigger.dev/core applies them (its applier is not exported): checked directly.
import { expect, it } from "vitest";
import { applyOperations } from "../../lib/engine/run-metadata";

it("metadata.replace (an update operation) replaces the whole object; it does not merge", () => {
  const before = { step: "charging", percent: 40, nested: { a: 1 } };
  expect(applyOperations(before, [{ type: "update", value: { step: "done" } }])).toEqual({ step: "done" });
  expect(before).toEqual({ step: "charging", percent: 40, nested: { a: 1 } }); // the stored object is not touched
});

it("operations apply in order: set, nested set, append, remove, increment, delete, and a replace in between", () => {
  const after = applyOperations({ kept: true }, [
    { type: "set", key: "step", value: "reserving" },
    { type: "set", key: "$.progress.percent", value: 10 },
    { type: "append", key: "log", value: "reserved" },
    { type: "append", key: "log", value: "charged" },
    { type: "remove", key: "log", value: "reserved" },
    { type: "increment", key: "attempts", value: 2 },
    { type: "delete", key: "kept" },
  ]);
  expect(after).toEqual({ step: "reserving", progress: { percent: 10 }, log: ["charged"], attempts: 2 });
  expect(
    applyOperations(after, [
      { type: "update", value: { fresh: 1 } },
      { type: "increment", key: "fresh", value: 1 },
    ]),
  ).toEqual({ fresh: 2 });
});
