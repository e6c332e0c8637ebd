// Peak resident memory of each process of the stack, per phase of a benchmark: /proc is read every second
// (and at each phase change); for each role (postgres, the stack, the CLI, its task processes…) the peak
// is the largest total across that role's processes at one reading, with how many processes it had then.
import fs from "node:fs";
import { sampleProcesses } from "./process-cpu";

export type MemoryPeak = { role: string; peakRssMb: number; processes: number };

export function trackMemory(intervalMs = 1_000) {
  const peaks = new Map<string, Map<string, { rssMb: number; processes: number }>>();
  let phase = "idle";
  const read = () => {
    const byRole = new Map<string, { rssMb: number; processes: number }>();
    for (const p of sampleProcesses()) {
      const entry = byRole.get(p.role) ?? { rssMb: 0, processes: 0 };
      entry.rssMb += p.rssMb;
      entry.processes++;
      byRole.set(p.role, entry);
    }
    const phasePeaks = peaks.get(phase) ?? new Map();
    for (const [role, now] of byRole) {
      if ((phasePeaks.get(role)?.rssMb ?? -1) < now.rssMb) phasePeaks.set(role, now);
    }
    peaks.set(phase, phasePeaks);
  };
  const timer = setInterval(read, intervalMs);
  return {
    /** Readings from now on count towards `name`. */
    phase(name: string) {
      read();
      phase = name;
      read();
    },
    stop() {
      clearInterval(timer);
    },
    report(): Record<string, MemoryPeak[]> {
      return Object.fromEntries(
        [...peaks].map(([name, roles]) => [
          name,
          [...roles]
            .map(([role, p]) => ({ role, peakRssMb: Math.round(p.rssMb), processes: p.processes }))
            .sort((a, b) => b.peakRssMb - a.peakRssMb),
        ]),
      );
    },
  };
}

/** A process's proportional set size: its private pages plus its share of pages it shares (Postgres' shared
 *  buffers, the node binary's code), so that a sum over processes counts shared memory once. */
function pssMb(pid: number): number {
  try {
    const kb = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"))?.[1];
    return kb ? Number(kb) / 1024 : 0;
  } catch {
    return 0; // The process ended while we read it.
  }
}

/** The stack's memory now, per role and in all, shared pages counted once; the bench's own process is left
 *  out, and so are `benchBackends` (the Postgres processes serving the bench's connections). */
export function stackMemoryNow(benchBackends: ReadonlySet<number> = new Set()) {
  const byRole = new Map<string, { pssMb: number; processes: number }>();
  for (const p of sampleProcesses()) {
    if (p.role === "bench process" || benchBackends.has(p.pid)) continue;
    const entry = byRole.get(p.role) ?? { pssMb: 0, processes: 0 };
    entry.pssMb += pssMb(p.pid);
    entry.processes++;
    byRole.set(p.role, entry);
  }
  const roles = [...byRole].map(([role, e]) => ({ role, pssMb: Math.round(e.pssMb), processes: e.processes }));
  return { totalMb: roles.reduce((sum, r) => sum + r.pssMb, 0), roles: roles.sort((a, b) => b.pssMb - a.pssMb) };
}
