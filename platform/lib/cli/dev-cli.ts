// Runs the real `trigger.dev dev` (the project's own pinned CLI, else this package's) against a platform, for
// the test kit, the order stack, the e2e tests and the benchmarks. Tests run it in a private copy of a project
// folder (the CLI's dev.lock would otherwise let two test files kill each other's CLI); always in its own
// process group, so stopping it also stops its task processes, and its watchdog is stopped too.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import readline from "node:readline";
import { stripVTControlCharacters } from "node:util";

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
  /** The CLI's last output lines (at most OUTPUT_LINES_KEPT), for error messages: never all of it. */
  output: () => string;
  /** Resolves when the CLI has registered a worker ("Local worker ready"). */
  ready: Promise<void>;
  /** Stops the CLI and its task processes. `crash` (SIGKILL, the watchdog left running) is how a CLI dies
   *  unexpectedly: the watchdog then reports its runs to the platform. */
  stop: (how?: "graceful" | "crash") => Promise<void>;
  pid: number;
};

/** Lines of the CLI's output kept for error messages (a CLI left running for days prints without end). */
export const OUTPUT_LINES_KEPT = 300;

export { cliCommand } from "./cli-command";

export type DevCliOptions = {
  projectDir: string;
  apiUrl: string;
  /** The platform's access token (RunningPlatform.accessToken); against Trigger.dev, your own (else env's TRIGGER_ACCESS_TOKEN). */
  accessToken?: string;
  env?: Record<string, string>;
  readyTimeoutMs?: number;
  /** Each line the CLI prints, as it prints it (the order stack shows them). */
  onLine?: (line: string) => void;
  /** Let the CLI colour its output (for a terminal); default off, so lines match as plain text. */
  color?: boolean;
};

/** Where copies of a project go: inside its own `.trigger` folder (ignored by git and by the CLI's watcher),
 *  so that the copy resolves the project's node_modules. */
export const COPIES_FOLDER = path.join(".trigger", "local-trigger-copies");

/** GOMEMLIMIT for the CLI's esbuild service: a little above its live heap (~190 MB for this project). Not below
 *  it: then Go's collector runs without pause while esbuild watches the files (at 160MiB, 163% of a core at rest). */
const ESBUILD_SOFT_MEMORY_LIMIT = "256MiB";

/** What a copy leaves out: node_modules resolves from the project above the copy, .trigger holds the copies
 *  and the CLI's own state (dev.lock, watchdog.pid, builds), and .git (a project at a repo's root) is large
 *  and unused by `trigger.dev dev`. */
const NOT_COPIED = new Set(["node_modules", ".trigger", ".git"]);

/** Copies a Trigger.dev project folder (without node_modules, .trigger and .git) to a fresh folder inside it. */
export function copyProject(projectDir: string): string {
  const source = path.resolve(projectDir);
  const target = path.join(source, COPIES_FOLDER, `${path.basename(source)}-${randomBytes(4).toString("hex")}`);
  fs.mkdirSync(target, { recursive: true });
  for (const entry of fs.readdirSync(source)) {
    if (NOT_COPIED.has(entry)) continue;
    fs.cpSync(path.join(source, entry), path.join(target, entry), { recursive: true });
  }
  return target;
}

export function startDevCli(options: DevCliOptions): DevCli {
  const kept: string[] = [];
  let ready = false;
  let markReady: () => void = () => {};
  const child: ChildProcess = spawn(
    process.execPath,
    [cliEntry(options.projectDir), "dev", "--skip-update-check", "--skip-platform-notifications"],
    {
      cwd: options.projectDir,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        ...options.env,
        TRIGGER_API_URL: options.apiUrl,
        TRIGGER_ACCESS_TOKEN: options.accessToken ?? options.env?.TRIGGER_ACCESS_TOKEN ?? process.env.TRIGGER_ACCESS_TOKEN ?? "",
        // TRIGGER_CLI_NODE_OPTIONS reaches the CLI and, through the NODE_OPTIONS the CLI hands on, its task
        // processes (`BENCH_CPU_PROFILE=1 npm run bench` preloads a profiler this way: bench/README.md).
        NODE_OPTIONS: `--import ${OFFLINE_PRELOAD} ${process.env.TRIGGER_CLI_NODE_OPTIONS ?? ""}`.trim(),
        // The CLI's esbuild watch service (a Go process) grew to ~470 MB here, ~200 MB of it live; a soft limit
        // makes Go collect before it grows that far (a user's own setting wins).
        GOMEMLIMIT: process.env.GOMEMLIMIT ?? ESBUILD_SOFT_MEMORY_LIMIT,
        FORCE_COLOR: options.color ? "1" : "0",
        // The CLI prints a run's dashboard link only where it thinks links work: always, as an OSC 8 hyperlink;
        // a reader that is no terminal gets them as plain URLs from withPlainLinks.
        FORCE_HYPERLINK: "1",
      },
    },
  );
  const log = () => kept.join("\n");
  const take = (line: string) => {
    kept.push(line);
    if (kept.length > OUTPUT_LINES_KEPT) kept.shift();
    if (!ready && /Local worker ready/.test(stripVTControlCharacters(line))) {
      ready = true;
      markReady();
    }
    options.onLine?.(line);
  };
  for (const stream of [child.stdout!, child.stderr!]) readline.createInterface({ input: stream, crlfDelay: Infinity }).on("line", take);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const readyPromise = new Promise<void>((resolve, reject) => {
    const timeout = setTimeout(
      () => reject(new Error(`trigger.dev dev was not ready within ${options.readyTimeoutMs ?? 90_000} ms:\n${log().slice(-3000)}`)),
      options.readyTimeoutMs ?? 90_000,
    );
    markReady = () => {
      clearTimeout(timeout);
      resolve();
    };
    void exited.then(() => {
      clearTimeout(timeout);
      reject(new Error(`trigger.dev dev exited before it was ready:\n${log().slice(-3000)}`));
    });
  });
  readyPromise.catch(() => {});

  return {
    projectDir: options.projectDir,
    pid: child.pid!,
    output: log,
    ready: readyPromise,
    async stop(how: "graceful" | "crash" = "graceful") {
      const pid = child.pid!;
      if (child.exitCode === null && child.signalCode === null) signalGroup(pid, how === "crash" ? "SIGKILL" : "SIGTERM");
      const killAt = Date.now() + 5_000;
      const timer = setTimeout(() => signalGroup(pid, "SIGKILL"), 5_000);
      await exited;
      // The task processes got the signal too but can outlive the CLI by a moment: stop() returns once the
      // whole group is gone, so a test's afterAll leaves nothing running.
      while (processGroupIsLive(pid) && Date.now() < killAt + 1_000) await new Promise((resolve) => setTimeout(resolve, 50));
      clearTimeout(timer);
      if (how === "graceful") killWatchdog(options.projectDir);
    },
  };
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* already gone */
  }
}

/** Whether a process is alive. A zombie is not: it has exited and only waits to be reaped (by init once its
 *  parent is gone, which some containers' init is slow at), yet `process.kill(pid, 0)` still finds it. */
export function processIsLive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (process.platform !== "linux") return true;
  try {
    return stateOf(fs.readFileSync(`/proc/${pid}/stat`, "utf8")).state !== "Z";
  } catch {
    return false; // exited meanwhile
  }
}

/** Whether any process of the group is alive (zombies aside, as in processIsLive). */
export function processGroupIsLive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  if (process.platform !== "linux") return true;
  return fs.readdirSync("/proc").some((entry) => {
    if (!/^\d+$/.test(entry)) return false;
    try {
      const { state, pgid: group } = stateOf(fs.readFileSync(`/proc/${entry}/stat`, "utf8"));
      return group === pgid && state !== "Z";
    } catch {
      return false; // exited meanwhile
    }
  });
}

/** From a /proc/<pid>/stat line, "pid (comm) state ppid pgrp …"; comm may hold spaces and parentheses. */
function stateOf(stat: string): { state: string; pgid: number } {
  const [state = "", , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { state, pgid: Number(pgrp) };
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

const OSC8_LINK = /\u001b]8;[^;\u0007\u001b]*;([^\u0007\u001b]*)(?:\u0007|\u001b\\)([^\u001b]*)\u001b]8;;(?:\u0007|\u001b\\)/g;

/** A CLI line with its OSC 8 hyperlinks written out as "text url" (what terminal-link prints without them). */
export function withPlainLinks(line: string): string {
  return line.replace(OSC8_LINK, (_match, url: string, text: string) => `${text} ${url}`);
}
