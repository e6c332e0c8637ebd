// CPU time and memory per process, read from /proc (Linux): take a reading before and after a phase of a
// benchmark and the difference says which process spent the machine's cores (the CLI, its task
// processes, Postgres, the platform) — the profile that tells what bounds a throughput figure.
import fs from "node:fs";

type ProcessSample = {
  pid: number;
  role: string;
  cpuMs: number;
  rssMb: number;
  /** CPU of this process's children that have exited and been reaped (the CLI's replaced task processes). */
  reapedChildrenCpuMs: number;
};

const TICKS_PER_SECOND = 100; // USER_HZ on Linux
export const TASK_PROCESS_ROLE = "task processes";
const CLI_ROLE = "trigger.dev dev CLI";

/** What a process is, in the benchmark's words, from its command line. */
function roleOf(comm: string, cmdline: string, pid: number, ppid: number): string | undefined {
  if (pid === process.pid) return "bench process";
  if (comm === "postgres") return "postgres";
  // The esbuild service tsx started for this process is the bench's; the others are the stack's and the CLI's.
  if (cmdline.includes("esbuild") && ppid === process.pid) return "bench process";
  if (cmdline.startsWith("trigger-dev-run-worker")) return TASK_PROCESS_ROLE;
  if (cmdline.includes("devWatchdog")) return "CLI watchdog";
  if (cmdline.includes("trigger.dev") && cmdline.includes(" dev")) return CLI_ROLE;
  if (cmdline.includes("esbuild")) return "esbuild (CLI builds)";
  if (cmdline.includes("platform/lib/main")) return "platform";
  if (cmdline.includes("src/stack/main")) return "stack (app, stand-ins, platform)";
  return undefined;
}

export function sampleProcesses(): ProcessSample[] {
  const out: ProcessSample[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim();
      const comm = fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      // Fields after the command name (which may hold spaces) in /proc/<pid>/stat: ppid is the 4th field,
      // utime and stime the 14th and 15th, cutime and cstime (reaped children) the 16th and 17th.
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const role = roleOf(comm, cmdline, pid, Number(fields[1]));
      if (!role) continue;
      const ticks = Number(fields[11]) + Number(fields[12]);
      const childTicks = Number(fields[13]) + Number(fields[14]);
      const rssPages = Number(fields[21]);
      out.push({
        pid,
        role,
        cpuMs: (ticks * 1000) / TICKS_PER_SECOND,
        rssMb: (rssPages * 4096) / 2 ** 20,
        reapedChildrenCpuMs: (childTicks * 1000) / TICKS_PER_SECOND,
      });
    } catch {
      // The process ended while we read it.
    }
  }
  return out;
}

/** CPU each role spent between two samples, as a share of one core over `wallMs`. */
export function cpuBetween(before: ProcessSample[], after: ProcessSample[], wallMs: number) {
  const start = new Map(before.map((p) => [p.pid, p]));
  const byRole = new Map<string, { cpuMs: number; processes: number; rssMb: number }>();
  const entryOf = (role: string) => {
    const entry = byRole.get(role) ?? { cpuMs: 0, processes: 0, rssMb: 0 };
    byRole.set(role, entry);
    return entry;
  };
  for (const p of after) {
    const entry = entryOf(p.role);
    entry.cpuMs += p.cpuMs - (start.get(p.pid)?.cpuMs ?? 0);
    entry.processes++;
    entry.rssMb += p.rssMb;
    // The CLI replaces a task process after maxExecutionsPerProcess runs. A process that ends takes its CPU out
    // of /proc, into the CLI's count of its reaped children (its whole life's, when the CLI waits for it). The
    // CLI's other children (its esbuild, its watchdog) live as long as it does; an index worker it forks on a
    // rebuild would count here too (a benchmark changes no file).
    if (p.role === CLI_ROLE)
      entryOf(TASK_PROCESS_ROLE).cpuMs += p.reapedChildrenCpuMs - (start.get(p.pid)?.reapedChildrenCpuMs ?? p.reapedChildrenCpuMs);
  }
  // A task process that was alive at the first sample and ended since: the reaped count has its whole life, and
  // the part before the phase is not the phase's.
  const alive = new Set(after.map((p) => p.pid));
  for (const p of before) if (p.role === TASK_PROCESS_ROLE && !alive.has(p.pid)) entryOf(TASK_PROCESS_ROLE).cpuMs -= p.cpuMs;
  return [...byRole]
    .map(([role, e]) => ({
      role,
      processes: e.processes,
      cpuMs: Math.round(e.cpuMs),
      cpuPercentOfOneCore: Math.round((e.cpuMs / wallMs) * 100),
      rssMb: Math.round(e.rssMb),
    }))
    .sort((a, b) => b.cpuPercentOfOneCore - a.cpuPercentOfOneCore);
}
