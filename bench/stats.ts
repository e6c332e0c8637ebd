// Percentiles and a table for the benchmark reports.
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export const median = (values: number[]) => percentile(values, 50);

export function summary(values: number[]) {
  return {
    n: values.length,
    p50: round(median(values)),
    p95: round(percentile(values, 95)),
    p99: round(percentile(values, 99)),
    max: round(Math.max(...values)),
  };
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

export function printTable(rows: [string, string][]): void {
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [key, value] of rows) console.log(`  ${key.padEnd(width)}  ${value}`);
}

/** A ratio beside its target, as the reports print it: `0.97 (target ≥ 0.95 ✓)`. */
export function ratioAgainst(ratio: number, target: { atLeast: number } | { atMost: number }): string {
  const met = "atLeast" in target ? ratio >= target.atLeast : ratio <= target.atMost;
  const goal = "atLeast" in target ? `≥ ${target.atLeast}` : `≤ ${target.atMost}`;
  return `${round(ratio, 2)} (target ${goal} ${met ? "✓" : "✗"})`;
}
