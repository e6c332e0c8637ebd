// Peak resident memory of each process of the stack, per phase of a benchmark: /proc is read every second
// (and at each phase change); for each role (postgres, the stack, the CLI, its task processes…) the peak
// is the largest total across that role's processes at one reading, with how many processes it had then.
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
