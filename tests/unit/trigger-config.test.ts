// trigger.config.ts as the CLI loads it: TRIGGER_MAX_EXECUTIONS_PER_PROCESS is a whole number of runs, 1 or
// more, or the load fails naming the variable and the rule.
import { afterEach, describe, expect, it, vi } from "vitest";

const NAME = "TRIGGER_MAX_EXECUTIONS_PER_PROCESS";
const before = process.env[NAME];

async function loadWith(value: string | undefined) {
  vi.resetModules();
  if (value === undefined) delete process.env[NAME];
  else process.env[NAME] = value;
  return (await import("../../trigger.config")).default;
}

afterEach(() => {
  if (before === undefined) delete process.env[NAME];
  else process.env[NAME] = before;
});

describe("trigger.config.ts", () => {
  it("replaces a task process after 2,000 runs unless TRIGGER_MAX_EXECUTIONS_PER_PROCESS says otherwise", async () => {
    expect((await loadWith(undefined)).processKeepAlive).toMatchObject({ enabled: true, maxExecutionsPerProcess: 2000 });
    expect((await loadWith("100000")).processKeepAlive).toMatchObject({ maxExecutionsPerProcess: 100_000 });
  });

  it.each(["0", "-3", "2.5", "many", ""])("refuses %j, naming the variable and the rule", async (value) => {
    await expect(loadWith(value)).rejects.toThrow(`${NAME} must be a whole number of runs, 1 or more (got "${value}")`);
  });
});
