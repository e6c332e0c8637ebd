// The timer loop asks Postgres every second when delayed and retrying runs come due and which queued run expires
// next. Runs wait a long time in real use (an order's reminder waits a day: 130,000 of them at 1.5 orders/s), so
// each question must read the few rows it answers from, not every run that waits. Each statement a pass sends is
// run again under EXPLAIN ANALYZE (rolled back) with 20,000 runs waiting a day, and no step of its plan may touch
// more than a handful of rows.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { availableRunsDueWork } from "../../lib/engine/available-runs";
import { expiredRunsDueWork } from "../../lib/engine/run-ttl";
import type { DueWork } from "../../lib/engine/timers";
import { createTestDatabase, type TestDatabase } from "../support/test-database";
import { startEngine, type EngineHarness } from "./engine-harness";

const WAITING = 20_000;
/** Rows a plan step may touch (returned, or read and filtered out): the due ones and a few around them. */
const MOST_ROWS_A_STEP = 10;

type PlanNode = {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  "Actual Rows"?: number;
  "Actual Loops"?: number;
  "Rows Removed by Filter"?: number;
  "Rows Removed by Index Recheck"?: number;
  Plans?: PlanNode[];
};

const seen: { statement: string; parameters: unknown[] }[] = [];
let database: TestDatabase;
let h: EngineHarness;
beforeAll(async () => {
  database = await createTestDatabase({ onStatement: (statement, parameters) => seen.push({ statement, parameters }) });
  h = await startEngine(database, [{ id: "reminder" }]);
  // Runs delayed by a day (and a second apart), a tenth of them with a ttl.
  await database.db.execute(sql`
    INSERT INTO trigger_platform.runs (id, friendly_id, environment_id, task_identifier, status, payload, queue, trace_id, span_id,
                                       delay_until, available_at, expire_at)
    SELECT 'wait' || g, 'run_wait' || g, ${h.env.id}, 'reminder', 'DELAYED', '{}', 'task/reminder', md5('w' || g), left(md5('s' || g), 16),
           now() + interval '1 day' + g * interval '1 second', now() + interval '1 day' + g * interval '1 second',
           CASE WHEN g % 10 = 0 THEN now() + interval '2 days' END
      FROM generate_series(1, ${WAITING}::int) AS g`);
  await database.db.execute(sql`ANALYZE trigger_platform.runs`);
});
afterAll(async () => {
  await h?.close();
  await database?.close();
});

/** Every plan step, depth first. */
const steps = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(steps)];
const rowsTouched = (node: PlanNode) =>
  ((node["Actual Rows"] ?? 0) + (node["Rows Removed by Filter"] ?? 0) + (node["Rows Removed by Index Recheck"] ?? 0)) *
  (node["Actual Loops"] ?? 1);

/** The statements one pass of `work` sends, each with its plan's busiest step. */
async function busiestSteps(work: DueWork) {
  seen.length = 0;
  await work.nextDue();
  await work.run(new Date(Date.now() - 1_000));
  const statements = seen.filter((s) => /trigger_platform"?\."?runs/.test(s.statement) && !/^EXPLAIN/.test(s.statement));
  expect(statements.length, "the pass asks about runs").toBeGreaterThan(0);
  const found: { statement: string; step: string; rows: number }[] = [];
  for (const { statement, parameters } of statements) {
    // EXPLAIN ANALYZE runs the statement: in a transaction rolled back, so an UPDATE changes nothing.
    await database.client
      .begin(async (tx) => {
        const [row] = await tx.unsafe<{ "QUERY PLAN": [{ Plan: PlanNode }] }[]>(
          `EXPLAIN (ANALYZE, FORMAT JSON) ${statement}`,
          parameters as never[],
        );
        const busiest = steps(row!["QUERY PLAN"][0].Plan).sort((a, b) => rowsTouched(b) - rowsTouched(a))[0]!;
        found.push({
          statement: statement.replace(/\s+/g, " ").slice(0, 140),
          step: `${busiest["Node Type"]} ${busiest["Index Name"] ?? busiest["Relation Name"] ?? ""}`.trim(),
          rows: rowsTouched(busiest),
        });
        throw new RolledBack();
      })
      .catch((error: unknown) => {
        if (!(error instanceof RolledBack)) throw error;
      });
  }
  return found;
}

class RolledBack extends Error {}

describe(`the timer loop's questions with ${WAITING.toLocaleString("en")} runs waiting a day`, () => {
  it.each([
    ["delayed and retrying runs coming due", availableRunsDueWork],
    ["queued runs expiring", expiredRunsDueWork],
  ] as const)("%s: each statement reads only the rows it answers from", async (_name, dueWork) => {
    const found = await busiestSteps(dueWork(h.engine.context));
    for (const f of found) expect(f.rows, `${f.step} in: ${f.statement}`).toBeLessThanOrEqual(MOST_ROWS_A_STEP);
  });
});
