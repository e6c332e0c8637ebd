// `npm run bench:engine`: the run engine alone (bench/engine-measures.ts), 100 workflows to warm up, then three
// rounds, each printed. Beside `npm run bench`'s platform figures it says how much of the platform's CPU is the
// engine and how much the HTTP side of the CLI's requests.
import { startBenchPostgres } from "./bench-database";
import { numberSetting, progress, runBench } from "./bench-settings";
import { ENGINE_WORKFLOWS_AT_ONCE, measureEngineAlone } from "./engine-measures";
import { printTable } from "./stats";

async function main() {
  const server = await startBenchPostgres();
  const database = await server.database("bench_engine");
  try {
    progress("100 workflows to warm up, then three rounds…");
    const rounds = await measureEngineAlone(database.url, {
      warmUp: 100,
      workflows: numberSetting("BENCH_ENGINE_WORKFLOWS", 300),
      rounds: 3,
    });
    console.log("\nThe run engine alone, order-shaped no-op workflows:");
    printTable(
      rounds.map((r, i) => [
        `round ${i + 1}: ${r.workflows} workflows, ${ENGINE_WORKFLOWS_AT_ONCE} at once`,
        `${r.workflowsPerSecond} workflows/s; CPU per workflow: the engine's process ${r.engineCpuMs} ms, Postgres ${r.postgresCpuMs} ms`,
      ]),
    );
  } finally {
    await database.close();
    await server.stop();
  }
}

runBench(main);
