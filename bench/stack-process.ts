// `npm start`'s stack for a benchmark, in its own process as a user runs it: src/stack/main.ts from a private
// copy of this repository (so a developer's own `npm start` and its CLI are untouched), on the bench's
// Postgres and free ports. The bench then talks to it only as a client would: HTTP and the database.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { freePort } from "local-trigger/listen";
import { killWatchdog } from "local-trigger/dev-cli";
import { copyRepository } from "../src/stack/repository-copy";

/** The app token the benchmark's stack is started with (APP_API_TOKEN), so the bench can fire orders. */
const BENCH_APP_TOKEN = "bench-app-token-0123456789abcdef";
/** The platform's access token there (PLATFORM_ACCESS_TOKEN), for its route timings. */
export const BENCH_ACCESS_TOKEN = "tr_pat_bench0123456789abcdef01234567";

/** `env`: settings of the stack's own for this bench (they win over the shell's). */
export async function startStackProcess(options: { databaseUrl: string; logFile: string; env?: Record<string, string> }) {
  const [app, platform, stripe, smtp] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const projectDir = copyRepository();
  const log = fs.createWriteStream(options.logFile);
  let output = "";
  // BENCH_CPU_PROFILE=1: CPU profiles of the stack, the CLI and every task process (cpu-profile-preload.cjs).
  const profile = process.env.BENCH_CPU_PROFILE === "1" ? ["--require", path.resolve(import.meta.dirname, "cpu-profile-preload.cjs")] : [];
  const child = spawn(process.execPath, [...profile, "--import", "tsx", path.join(projectDir, "src/stack/main.ts")], {
    cwd: projectDir,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      // Always the local stand-ins and platform, whatever the shell has set: the direct baseline uses the
      // same stand-ins, and a benchmark must not charge real cards or mail real people.
      STRIPE_SECRET_KEY: "",
      SMTP_URL: "",
      TRIGGER_API_URL: "",
      DATABASE_URL: options.databaseUrl,
      DATA_DIR: path.join(projectDir, ".data"),
      APP_PORT: String(app),
      APP_API_TOKEN: BENCH_APP_TOKEN,
      PLATFORM_ACCESS_TOKEN: BENCH_ACCESS_TOKEN,
      PLATFORM_PORT: String(platform),
      STRIPE_FAKE_PORT: String(stripe),
      SMTP_CATCHER_PORT: String(smtp),
      ...(profile.length > 0 ? { TRIGGER_CLI_NODE_OPTIONS: profile.join(" ") } : {}),
      ...options.env,
    },
  });
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    log.write(chunk);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const check = setInterval(() => {
      if (output.includes("\nReady.")) {
        clearInterval(check);
        resolve();
      }
    }, 50);
    void exited.then((code) => {
      clearInterval(check);
      reject(
        new Error(`the stack exited (code ${code}) before it was ready; its output is in ${options.logFile}:\n${output.slice(-2000)}`),
      );
    });
  });

  return {
    pid: child.pid!,
    projectDir,
    /** The stack's DATA_DIR (its install's secrets). */
    dataDir: path.join(projectDir, ".data"),
    readyMs: Math.round(performance.now() - started),
    appUrl: `http://127.0.0.1:${app}`,
    app: { url: `http://127.0.0.1:${app}`, token: BENCH_APP_TOKEN },
    platformUrl: `http://127.0.0.1:${platform}`,
    stripePort: stripe,
    smtpPort: smtp,
    output: () => output,
    /** SIGTERM, as Ctrl-C would: the stack stops its parts (the CLI and its task processes too). */
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
      killWatchdog(projectDir);
      killProcessesIn(projectDir);
      log.end();
      fs.rmSync(projectDir, { recursive: true, force: true });
    },
  };
}

/** Whatever still runs in the copy (the CLI and its task processes, were the stack killed before it could
 *  stop them) is killed: a benchmark must not leave load behind for the next one. */
function killProcessesIn(dir: string): void {
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readlinkSync(`/proc/${entry}/cwd`).startsWith(dir)) process.kill(Number(entry), "SIGKILL");
    } catch {
      // Gone already, or not ours to read.
    }
  }
}
