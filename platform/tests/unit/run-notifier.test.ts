// The CLI drops a run:notify that arrives while it still handles the run's previous snapshot change, so a
// resumed run is told again a moment later; other changes are told once.
import type { Namespace } from "socket.io";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { noEffects, RunNotifier } from "../../lib/engine/run-notifier";

let sent: { room: string; at: number }[];
let notifier: RunNotifier;
beforeEach(() => {
  vi.useFakeTimers();
  sent = [];
  notifier = new RunNotifier();
  const namespace = { to: (room: string) => ({ emit: () => sent.push({ room, at: Date.now() }) }) };
  notifier.attach(namespace as unknown as Namespace);
});
afterEach(() => vi.useRealTimers());

it("a resumed run is notified at once and twice more, a moment later", () => {
  const start = Date.now();
  notifier.publish({ ...noEffects(), notifyRuns: new Set(["run_a", "run_b"]), resumedRuns: new Set(["run_a"]) });
  vi.advanceTimersByTime(2_000);
  expect(sent.filter((s) => s.room === "run:run_a").map((s) => s.at - start)).toEqual([0, 300, 1_200]);
  expect(sent.filter((s) => s.room === "run:run_b").map((s) => s.at - start)).toEqual([0]);
});
