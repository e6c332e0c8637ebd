// The fault explorer with the CI seed: 40 concurrent orders through the whole stack under a seeded
// schedule of Stripe, webhook and SMTP faults, cancellations, a killed CLI and a restarted platform; every
// invariant must hold after quiescence. On failure the message names the seed to replay
// (npm run chaos -- --seed 20261128 --orders 40) and the timelines of the orders involved.
import { expect, it } from "vitest";
import { createTestDatabase } from "../support/test-database";
import { exploreFaults } from "./fault-explorer";

const CI_SEED = 20261128;

it(`seed ${CI_SEED}, 40 orders: every order ends defined and compensated`, async () => {
  const database = await createTestDatabase();
  try {
    const lines: string[] = [];
    const report = await exploreFaults({ seed: CI_SEED, orders: 40, databaseUrl: database.url, log: (line) => lines.push(line) });
    console.log(lines.filter((l) => !l.startsWith("  [stack]")).join("\n"));
    expect(
      report.violations,
      `seed ${CI_SEED} broke invariants; replay: npm run chaos -- --seed ${CI_SEED} --orders 40\n${report.timelines.join("\n")}`,
    ).toEqual([]);
    expect(Object.values(report.outcomes).reduce((a, b) => a + b, 0)).toBe(40);
  } finally {
    await database.close();
  }
}, 600_000);
