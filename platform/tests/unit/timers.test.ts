// The timer loop: a pass in progress when stop() is called finishes, and nothing runs after it (a platform
// restarting closes its database right after stop()).
import { expect, it } from "vitest";
import { RunNotifier } from "../../lib/engine/run-notifier";
import { PlatformTimers, type DueWork } from "../../lib/engine/timers";

it("stop() during a pass: the pass ends, and no further pass is armed", async () => {
  let passes = 0;
  const slow: DueWork = {
    name: "slow",
    nextDue: async () => new Date(Date.now() + 10),
    run: async () => {
      passes++;
      await new Promise((r) => setTimeout(r, 100));
    },
  };
  const timers = new PlatformTimers(new RunNotifier(), [slow], 20);
  timers.start();
  await new Promise((r) => setTimeout(r, 30)); // inside the first pass
  await timers.stop();
  const afterStop = passes;
  await new Promise((r) => setTimeout(r, 200));
  expect(afterStop).toBe(1);
  expect(passes).toBe(1);
});
