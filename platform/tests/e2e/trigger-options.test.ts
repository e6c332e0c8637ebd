// Trigger options through the real SDK (their effect on the queue is tested on the engine directly).
import { runs, tasks } from "@trigger.dev/sdk";
import { describe, expect, it } from "vitest";
import { usePlatformHarness } from "../support/platform";

usePlatformHarness();

describe("debounce", () => {
  it("five triggers with one debounce key make one delayed run", async () => {
    const handles = [];
    for (let n = 0; n < 5; n++) handles.push(await tasks.trigger("echo", { n }, { debounce: { key: "user-123", delay: "5s" } }));
    expect(new Set(handles.map((h) => h.id)).size).toBe(1);
    const run = await runs.retrieve(handles[0]!.id);
    expect(run.status).toBe("DELAYED");
    expect(run.payload).toEqual({ n: 0 });
    const listed = await runs.list({ taskIdentifier: "echo", status: "DELAYED" });
    expect(listed.data.map((r) => r.id)).toEqual([handles[0]!.id]);
  });

  it("a bad debounce is a 400 that names the field", async () => {
    await expect(tasks.trigger("echo", {}, { debounce: { key: "k", delay: "2s", maxDelay: "1s" } })).rejects.toThrow(
      /debounce\.maxDelay \(1s\) must be longer than debounce\.delay \(2s\)/,
    );
  });
});
