// npm run chaos -- --seed S --orders N: one exploration on a fresh database (embedded Postgres in
// .data/chaos-postgres, or CHAOS_DATABASE_URL's server), the plan printed, then the outcome; exit 1 with
// the seed and the timelines of the orders a violation names. --seeds A..B explores one seed after another;
// --show-slowest K prints the timelines of the K slowest orders too.
import path from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { startScratchPostgres } from "../../db/scratch-postgres";
import { exploreFaults } from "./fault-explorer";

const Flags = z.strictObject({
  seed: z.coerce
    .number({ error: "must be a number" })
    .int("must be a whole number")
    .min(0, "must be 0 or more")
    .max(2 ** 31 - 1, "must be below 2^31")
    .optional(),
  seeds: z
    .string()
    .regex(/^\d+\.\.\d+$/, "must be a range like 1..20")
    .optional(),
  orders: z.coerce
    .number({ error: "must be a number" })
    .int("must be a whole number")
    .min(1, "must be at least 1")
    .max(500, "must be at most 500")
    .default(40),
  "show-slowest": z.coerce
    .number({ error: "must be a number" })
    .int("must be a whole number")
    .min(0, "must be 0 or more")
    .max(50, "must be at most 50")
    .default(0),
});

function seedsFrom(flags: z.output<typeof Flags>): number[] {
  if (flags.seeds) {
    const [from, to] = flags.seeds.split("..").map(Number) as [number, number];
    if (to < from) throw new Error("--seeds: the range must go up (like 1..20)");
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  }
  return [flags.seed ?? Math.floor(Math.random() * 1_000_000)];
}

async function main() {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      options: { seed: { type: "string" }, seeds: { type: "string" }, orders: { type: "string" }, "show-slowest": { type: "string" } },
      strict: true,
    }));
  } catch (error) {
    console.error(
      `${error instanceof Error ? error.message : String(error)}\nusage: npm run chaos -- [--seed S | --seeds A..B] [--orders N] [--show-slowest K]`,
    );
    process.exit(2);
  }
  const parsed = Flags.safeParse(values);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) console.error(`--${String(issue.path[0])}: ${issue.message}`);
    process.exit(2);
  }
  let seeds: number[];
  try {
    seeds = seedsFrom(parsed.data);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  }
  const postgres = await startScratchPostgres({
    ...(process.env.CHAOS_DATABASE_URL ? { adminUrl: process.env.CHAOS_DATABASE_URL } : {}),
    dataDir: path.resolve(".data/chaos-postgres"),
    port: Number(process.env.CHAOS_PG_PORT ?? 54333),
    ephemeral: true,
  });
  const failed: number[] = [];
  try {
    for (const seed of seeds) {
      const database = await postgres.database(`chaos_${seed}`);
      try {
        const report = await exploreFaults({
          seed,
          orders: parsed.data.orders,
          databaseUrl: database.url,
          showSlowest: parsed.data["show-slowest"],
          log: (line) => console.log(line),
        });
        if (report.violations.length === 0) {
          console.log(`✔ seed ${seed}: every invariant holds after quiescence (${(report.settledInMs / 1000).toFixed(1)} s to settle)`);
        } else {
          failed.push(seed);
          console.log(
            `✘ seed ${seed}: ${report.violations.length} violation(s); replay with npm run chaos -- --seed ${seed} --orders ${parsed.data.orders}`,
          );
          report.violations.forEach((v) => console.log(`  ${v}`));
          report.timelines.forEach((line) => console.log(line));
        }
      } finally {
        await database.close();
      }
    }
  } finally {
    await postgres.stop();
  }
  if (seeds.length > 1)
    console.log(
      `${seeds.length - failed.length} passed, ${failed.length} failed${failed.length > 0 ? ` (seeds ${failed.join(", ")})` : ""}`,
    );
  process.exit(failed.length > 0 ? 1 : 0);
}

await main();
