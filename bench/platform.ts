// `npm run bench:platform`: the local platform alone, with the real CLI running a no-op project
// (bench/platform-measures.ts), beside an in-memory server measured in the same run with the same CLI.
// Figures to the terminal and bench/results/.
import fs from "node:fs";
import { startBenchDatabase } from "./bench-database";
import { measureInMemoryPlatform, measurePlatform, PLATFORM_TARGETS as TARGETS, platformRatios } from "./platform-measures";
import { printTable, ratioAgainst } from "./stats";

async function main() {
  const runCount = Number(process.env.BENCH_RUNS ?? 1_000);
  const triggerCount = Number(process.env.BENCH_TRIGGERS ?? 2_000);
  const workflowSamples = Number(process.env.BENCH_WORKFLOW_SAMPLES ?? 30);
  const workflowCount = Number(process.env.BENCH_WORKFLOWS ?? 120);
  const baseline = await measureInMemoryPlatform({ noopRuns: runCount, triggers: triggerCount, workflowSamples, workflows: workflowCount });
  const database = await startBenchDatabase("bench_platform");
  const ours = await measurePlatform(database, {
    triggers: triggerCount,
    batch: 1_000,
    idleSamples: 50,
    resumeSamples: 30,
    noopRuns: runCount,
    workflowSamples,
    workflows: workflowCount,
  });
  await database.stop();
  const ratios = platformRatios(ours, baseline);

  const results = {
    machine: `${process.platform} ${process.arch}, node ${process.version}`,
    at: new Date().toISOString(),
    baseline,
    ...ours,
    ratios,
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
      `${ours.cli.noopRunsPerSecond} runs/s (in-memory baseline: ${baseline.noopRunsPerSecond}, ratio ${ratioAgainst(ratios.noopRunsPerSecond, TARGETS.noopRunsPerSecond)})`,
    ],
    [
      `order-shaped no-op workflows (${ours.workflows.count} at once)`,
      `${ours.workflows.workflowsPerSecond}/s (in-memory baseline: ${baseline.workflows.workflowsPerSecond}, ratio ${ratioAgainst(ratios.workflowsPerSecond, TARGETS.workflowsPerSecond)})`,
    ],
    [
      "one workflow, trigger → completed",
      `p50 ${ours.workflows.latencyMs.p50} ms (in-memory baseline: ${baseline.workflows.latencyMs.p50} ms, ratio ${ratioAgainst(ratios.workflowP50, TARGETS.workflowP50)})`,
    ],
  ]);
  console.log("\nCPU per order-shaped workflow, ms (in-memory baseline in brackets):");
  printTable(
    Object.entries(ours.workflows.cpuMsPerWorkflow).map(([role, ms]) => [
      role,
      `${ms} (${baseline.workflows.cpuMsPerWorkflow[role] ?? "–"})`,
    ]),
  );
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
