// `npm run bench:platform`: the local platform alone, with the real CLI running a no-op project
// (bench/platform-measures.ts), beside an in-memory server measured in the same run with the same CLI.
// Figures to the terminal and bench/results/.
import fs from "node:fs";
import { configure, tasks } from "@trigger.dev/sdk";
import { copyProject, startDevCli } from "local-trigger/dev-cli";
import { startBenchDatabase } from "./bench-database";
import { startInMemoryPlatform } from "./in-memory-platform";
import { FIXTURE, measurePlatform, measureWorkflows, PLATFORM_BENCH_OPTIONS as options, triggerLoad } from "./platform-measures";
import { cpuBetween, sampleProcesses } from "./process-cpu";
import { printTable, ratioAgainst, round, summary } from "./stats";

/** Issue 16's targets for the platform's share, against the in-memory server in the same run. */
const TARGETS = { workflowsPerSecond: { atLeast: 0.95 }, workflowP50: { atMost: 1.1 }, noopRunsPerSecond: { atLeast: 0.9 } };

async function measureBaseline(runCount: number, triggerCount: number, workflowSamples: number, workflowCount: number) {
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
    const cpu = cpuBetween(cpuBefore, sampleProcesses(), wallMs);
    const workflows = await measureWorkflows(
      { waitAllFinished: baseline.waitAllFinished, completedAt: async (id) => baseline.run(id)!.completedAt! },
      workflowSamples,
      workflowCount,
    );
    return {
      triggersPerSecond,
      triggerToCompleted: summary(toDone),
      noopRunsPerSecond: round(runCount / (wallMs / 1000)),
      cpu,
      workflows,
    };
  } finally {
    await cli.stop();
    await baseline.close();
  }
}

async function main() {
  const runCount = Number(process.env.BENCH_RUNS ?? 1_000);
  const triggerCount = Number(process.env.BENCH_TRIGGERS ?? 2_000);
  const workflowSamples = Number(process.env.BENCH_WORKFLOW_SAMPLES ?? 30);
  const workflowCount = Number(process.env.BENCH_WORKFLOWS ?? 120);
  const baseline = await measureBaseline(runCount, triggerCount, workflowSamples, workflowCount);
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
  const ratios = {
    workflowsPerSecond: ours.workflows.workflowsPerSecond / baseline.workflows.workflowsPerSecond,
    workflowP50: ours.workflows.latencyMs.p50 / baseline.workflows.latencyMs.p50,
    noopRunsPerSecond: ours.cli.noopRunsPerSecond / baseline.noopRunsPerSecond,
  };
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
