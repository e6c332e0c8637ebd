// What issue 16's throughput targets leave, in CPU. At the CPU per second a load kept busy (R), a workflow (target 1)
// or an order (target 3) may cost R ÷ (the ratio × the ceiling's workflows/s) in all processes to meet its target.
// Beside that: what it cost, and the floor of a platform that keeps its runs in Postgres: the ceiling's own
// workflow (its CPU in every process, the in-memory server's included) plus the engine alone with its Postgres
// (engine-measures.ts). The floor is approximate both ways: the engine's process CPU includes its driver's polling,
// and the cheapest of its rounds is kept.
import type { EngineAloneRound } from "./engine-measures";
import { round } from "./stats";

export type Budget = { budgetMs: number; tookMs: number; floorMs: number };
type WorkflowFigures = { cpuMsPerWorkflow: Record<string, number>; workflowsPerSecond: number };

const cpuOf = (perRole: Record<string, number>) => Object.values(perRole).reduce((a, b) => a + b, 0);

export function targetBudgets(figures: {
  ours: WorkflowFigures;
  ceiling: WorkflowFigures;
  engineAlone: EngineAloneRound[];
  /** The full stack's sustained window: the CPU of every process, its length, the orders confirmed in it. */
  stack: { cpuMs: number; seconds: number; orders: number };
  directCpuMsPerOrder: number;
  /** The ratios to the ceiling's workflows/s that targets 1 and 3 ask for. */
  ratios: { workflows: number; orders: number };
}) {
  const { ours, ceiling, stack, ratios } = figures;
  const engine = figures.engineAlone.reduce((a, b) => (b.engineCpuMs + b.postgresCpuMs < a.engineCpuMs + a.postgresCpuMs ? b : a));
  const ceilingWorkflowMs = cpuOf(ceiling.cpuMsPerWorkflow);
  const engineFloorMs = engine.engineCpuMs + engine.postgresCpuMs;
  const oursWorkflowMs = cpuOf(ours.cpuMsPerWorkflow);
  const workflow: Budget = {
    budgetMs: round((oursWorkflowMs * ours.workflowsPerSecond) / (ratios.workflows * ceiling.workflowsPerSecond)),
    tookMs: round(oursWorkflowMs),
    floorMs: round(ceilingWorkflowMs + engineFloorMs),
  };
  const order: Budget = {
    budgetMs: round(stack.cpuMs / stack.seconds / (ratios.orders * ceiling.workflowsPerSecond)),
    tookMs: round(stack.cpuMs / Math.max(1, stack.orders)),
    floorMs: round(ceilingWorkflowMs + engineFloorMs + figures.directCpuMsPerOrder),
  };
  return { workflow, order, ceilingWorkflowMs: round(ceilingWorkflowMs), engineFloorMs: round(engineFloorMs) };
}
