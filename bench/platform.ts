// `npm run bench:platform`: the local platform alone, with the real CLI running a no-op project
// (bench/platform-measures.ts), beside an in-memory server measured in the same run with the same CLI.
// Figures to the terminal and bench/results/.
import fs from "node:fs";
import { configure, tasks } from "@trigger.dev/sdk";
import { copyProject, startDevCli } from "local-trigger/dev-cli";
import { startBenchDatabase } from "./bench-database";
import { startInMemoryPlatform } from "./in-memory-platform";
import { FIXTURE, measurePlatform, PLATFORM_BENCH_OPTIONS as options, triggerLoad } from "./platform-measures";
import { cpuBetween, sampleProcesses } from "./process-cpu";
import { printTable, round, summary } from "./stats";

async function measureBaseline(runCount: number, triggerCount: number) {
  const baseline = await startInMemoryPlatform({ maxConcurrentRuns: options.dequeue.maxConcurrentRuns, holdMs: options.dequeue.holdMs });
  configure({ baseURL: baseline.url, accessToken: "tr_dev_baseline" });
  const projectDir = copyProject(FIXTURE);
  const triggersPerSecond = round(await triggerLoad(triggerCount, 32));
  baseline.cancelQueued();
  const cli = startDevCli({ projectDir, apiUrl: baseline.url, accessToken: "tr_pat_baseline" });
  try {
    await cli.ready;
    for (let i = 0; i < 30; i++) await baseline.waitAllFinished([(await tasks.trigger("noop", null)).id], 20_000);
    const toDone: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t0 = Date.now();
      const { id } = await tasks.trigger("noop", null);
      await baseline.waitAllFinished([id], 20_000);
      toDone.push(baseline.run(id)!.completedAt! - t0);
    }
    await baseline.waitAllFinished(
      Array.from({ length: options.dequeue.maxConcurrentRuns * 2 }, () => baseline.enqueue("noop", "null")),
      120_000,
    );
    const started = performance.now();
    const cpuBefore = sampleProcesses();
    await baseline.waitAllFinished(
      Array.from({ length: runCount }, () => baseline.enqueue("noop", "null")),
      300_000,
    );
    const wallMs = performance.now() - started;
    return {
      triggersPerSecond,
      triggerToCompleted: summary(toDone),
      noopRunsPerSecond: round(runCount / (wallMs / 1000)),
      cpu: cpuBetween(cpuBefore, sampleProcesses(), wallMs),
    };
  } finally {
    await cli.stop();
    await baseline.close();
  }
}

async function main() {
  const runCount = Number(process.env.BENCH_RUNS ?? 1_000);
  const triggerCount = Number(process.env.BENCH_TRIGGERS ?? 2_000);
  const baseline = await measureBaseline(runCount, triggerCount);
  const database = await startBenchDatabase("bench_platform");
  const ours = await measurePlatform(database, {
    triggers: triggerCount,
    batch: 1_000,
    idleSamples: 50,
    resumeSamples: 30,
    noopRuns: runCount,
  });
  await database.stop();
  const results = {
    machine: `${process.platform} ${process.arch}, node ${process.version}`,
    at: new Date().toISOString(),
    baseline,
    ...ours,
  };

  console.log("\nLocal Trigger.dev platform benchmark");
  const { latencyMs: l } = ours;
  printTable([
    ["tasks.trigger (32 callers)", `${ours.triggers.triggersPerSecond} triggers/s (in-memory baseline: ${baseline.triggersPerSecond})`],
    ["batchTrigger of 1,000", `${ours.triggers.batchItemsPerSecond} items/s`],
    ["CLI ready", `${ours.cliReadyMs} ms`],
    ["trigger → start (idle)", `p50 ${l.triggerToStart.p50} ms, p99 ${l.triggerToStart.p99} ms`],
    [
      "trigger → completed (idle)",
      `p50 ${l.triggerToCompleted.p50} ms, p99 ${l.triggerToCompleted.p99} ms (in-memory baseline: p50 ${baseline.triggerToCompleted.p50} ms)`,
    ],
    ["child end → parent resume", `p50 ${l.childEndToParentResume.p50} ms, p99 ${l.childEndToParentResume.p99} ms`],
    [
      `no-op runs through the CLI (${ours.cli.concurrency} at once)`,
      `${ours.cli.noopRunsPerSecond} runs/s (in-memory baseline: ${baseline.noopRunsPerSecond}, ratio ${round(ours.cli.noopRunsPerSecond / baseline.noopRunsPerSecond, 2)})`,
    ],
  ]);
  console.log("\nCPU while the CLI ran no-op runs (% of one core; the machine has 2):");
  printTable(
    ours.cli.cpu.map((p) => [
      p.role,
      `${p.cpuPercentOfOneCore}% (in-memory baseline run: ${baseline.cpu.find((b) => b.role === p.role)?.cpuPercentOfOneCore ?? "–"}%)`,
    ]),
  );
  fs.mkdirSync("bench/results", { recursive: true });
  const file = `bench/results/platform-${new Date().toISOString().replace(/[:.]/g, "-")}.json`;
  fs.writeFileSync(file, JSON.stringify(results, null, 2));
  console.log(`\nwritten to ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
