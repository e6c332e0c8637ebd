// `npm run bench:declines`: what declined cards cost the warm stack's memory. The stack at rest after a warm-up
// of 30 orders (issue 16's target 4 reads it there), then after each of two rounds of 12 orders whose card is
// declined (pm_card_chargeDeclined). A decline once made each task process keep its bundle's source maps
// (src/payments/stripe-client.ts): about 26 MB per process, for the life of the process.
import { seedCatalog } from "../db/seed";
import { startBenchPostgres } from "./bench-database";
import { RUN_STAMP, progress, runBench } from "./bench-settings";
import { stackMemoryNow } from "./memory-peaks";
import { benchOrder, fireBurst, OrderWatcher, type Accepted } from "./order-load";
import { startStackProcess } from "./stack-process";
import { printTable } from "./stats";

const SKU = "BENCH-DECLINES";
const ROUNDS = 2;
const DECLINES_PER_ROUND = 12;
const AT_REST_MS = 3_000;

async function main() {
  const postgres = await startBenchPostgres();
  const database = await postgres.database("bench_declines");
  await seedCatalog(database.db, [{ sku: SKU, name: "Bench item", priceCents: 1500, currency: "usd", onHand: 1_000_000 }]);
  progress("starting the stack…");
  const stack = await startStackProcess({ databaseUrl: database.url, logFile: `bench/results/declines-${RUN_STAMP}-stack.log` });
  const watcher = new OrderWatcher(database.db);
  watcher.start();
  const rows: [string, string][] = [];
  const atRest = async (label: string) => {
    await new Promise((resolve) => setTimeout(resolve, AT_REST_MS));
    const memory = stackMemoryNow();
    const tasks = memory.roles.find((r) => r.role === "task processes");
    rows.push([label, `${memory.totalMb} MB in all; task processes ${tasks?.pssMb ?? 0} MB (${tasks?.processes ?? 0})`]);
    progress(`${label}: ${memory.totalMb} MB`);
  };
  /** Waits for every order to end (OrderWatcher's "terminal"), then checks each ended as `status`. */
  const ended = async (accepted: Accepted[], status: string) => {
    await watcher.waitFor(
      accepted.map((a) => a.id),
      "terminal",
      120_000,
    );
    const wrong = accepted.filter((a) => watcher.statusOf(a.id) !== status);
    if (wrong.length > 0) throw new Error(`${wrong.length} order(s) ended ${watcher.statusOf(wrong[0]!.id)}, not ${status}`);
  };
  try {
    progress("warm-up: 30 orders at once…");
    const warm = await fireBurst(stack.app, 30, 30, () => benchOrder("warm", SKU));
    await watcher.waitFor(
      warm.map((a) => a.id),
      "confirmed",
      180_000,
    );
    await atRest("after the warm-up");
    for (let round = 1; round <= ROUNDS; round++) {
      const declined = await fireBurst(stack.app, DECLINES_PER_ROUND, DECLINES_PER_ROUND, () => ({
        ...benchOrder("declined", SKU),
        paymentMethod: "pm_card_chargeDeclined",
      }));
      await ended(declined, "payment_failed");
      await atRest(`after ${round * DECLINES_PER_ROUND} declined cards`);
    }
  } finally {
    await watcher.stop();
    await stack.stop();
    await database.close();
    await postgres.stop();
  }
  console.log("\nThe warm stack at rest (proportional set size, shared pages counted once):");
  printTable(rows);
}

runBench(main);
