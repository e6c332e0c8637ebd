// Runs the real `trigger.dev dev` (the project's own pinned CLI, else this package's) against a platform, for
// the test kit, the order stack, the e2e tests and the benchmarks. Tests run it in a private copy of a project
// folder (the CLI's dev.lock would otherwise let two test files kill each other's CLI); always in its own
// process group, so stopping it also stops its task processes, and its watchdog is stopped too.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const OFFLINE_PRELOAD = path.join(import.meta.dirname, "cli-offline-preload.mjs");

/** The CLI the project pins (its dev protocol changes between versions), else the one beside this package. */
function cliEntry(projectDir: string): string {
  let manifest: string;
  try {
    manifest = createRequire(path.join(projectDir, "package.json")).resolve("trigger.dev/package.json");
  } catch {
    manifest = createRequire(import.meta.url).resolve("trigger.dev/package.json");
  }
  return path.join(path.dirname(manifest), "dist/esm/index.js");
}

export type DevCli = {
  projectDir: string;
  output: () => string;
  /** Resolves when the CLI has registered a worker ("Local worker ready"). */
  ready: Promise<void>;
  /** Stops the CLI and its task processes. `crash` (SIGKILL, the watchdog left running) is how a CLI dies
   *  unexpectedly: the watchdog then reports its runs to the platform. */
  stop: (how?: "graceful" | "crash") => Promise<void>;
  pid: number;
};

/** Where copies of a project go: inside its own `.trigger` folder (ignored by git and by the CLI's watcher),
 *  so that the copy resolves the project's node_modules. */
export const COPIES_FOLDER = path.join(".trigger", "local-trigger-copies");

/** Copies a Trigger.dev project folder (without node_modules and .trigger) to a fresh folder inside it. */
export function copyProject(projectDir: string): string {
  const source = path.resolve(projectDir);
  const target = path.join(source, COPIES_FOLDER, `${path.basename(source)}-${randomBytes(4).toString("hex")}`);
  fs.mkdirSync(target, { recursive: true });
  for (const entry of fs.readdirSync(source)) {
    if (entry === "node_modules" || entry === ".trigger") continue;
    fs.cpSync(path.join(source, entry), path.join(target, entry), { recursive: true });
  }
  return target;
}

export function startDevCli(options: { projectDir: string; apiUrl: string; env?: Record<string, string>; readyTimeoutMs?: number }): DevCli {
  let log = "";
  const child: ChildProcess = spawn(process.execPath, [cliEntry(options.projectDir), "dev", "--skip-update-check", "--skip-platform-notifications"], {
    cwd: options.projectDir,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      ...options.env,
      TRIGGER_API_URL: options.apiUrl,
      // The local platform takes any personal access token; against Trigger.dev pass your own in env.
      TRIGGER_ACCESS_TOKEN: options.env?.TRIGGER_ACCESS_TOKEN || "tr_pat_local",
      // TRIGGER_CLI_NODE_OPTIONS reaches the CLI and, through the NODE_OPTIONS the CLI hands on, its task
      // processes (`BENCH_CPU_PROFILE=1 npm run bench` preloads a profiler this way: README "Performance").
      NODE_OPTIONS: `--import ${OFFLINE_PRELOAD} ${process.env.TRIGGER_CLI_NODE_OPTIONS ?? ""}`.trim(),
      FORCE_COLOR: "0",
    },
  });
  child.stdout!.on("data", (chunk: Buffer) => (log += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const ready = new Promise<void>((resolve, reject) => {
    const timeout = setTimeout(() => reject(new Error(`trigger.dev dev was not ready within ${options.readyTimeoutMs ?? 90_000} ms:\n${log.slice(-3000)}`)), options.readyTimeoutMs ?? 90_000);
    const check = setInterval(() => {
      if (/Local worker ready/.test(log)) {
        clearInterval(check);
        clearTimeout(timeout);
        resolve();
      }
    }, 50);
    void exited.then(() => {
      clearInterval(check);
      clearTimeout(timeout);
      reject(new Error(`trigger.dev dev exited before it was ready:\n${log.slice(-3000)}`));
    });
  });
  ready.catch(() => {});

  return {
    projectDir: options.projectDir,
    pid: child.pid!,
    output: () => log,
    ready,
    async stop(how: "graceful" | "crash" = "graceful") {
      const signal: NodeJS.Signals = how === "crash" ? "SIGKILL" : "SIGTERM";
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid!, signal);
        } catch {
          /* already gone */
        }
        const timer = setTimeout(() => {
          try {
            process.kill(-child.pid!, "SIGKILL");
          } catch {
            /* already gone */
          }
        }, 5_000);
        await exited;
        clearTimeout(timer);
      }
      if (how === "graceful") killWatchdog(options.projectDir);
    },
  };
}

/** The CLI's detached watchdog lives in its own process group; its pid is in .trigger/watchdog.pid. */
export function killWatchdog(projectDir: string): void {
  const pidFile = path.join(projectDir, ".trigger/watchdog.pid");
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, "utf8").replace("trigger-watchdog:", ""));
  if (pid > 0) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
  fs.rmSync(pidFile, { force: true });
}
