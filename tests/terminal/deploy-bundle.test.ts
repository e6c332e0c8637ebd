// `npx trigger.dev deploy --dry-run` builds what a deploy would ship, without Docker or a network (issue 15):
// the pinned CLI bundles jobs/ for the "deploy" target, and the bundle, indexed as the image's indexer stage
// would index it, holds every task jobs/ exports. The CLI only asks its API who it is and for the project's
// prod environment before building (--local-build skips the deploy-settings call); a stub answers those, and
// the test checks it was asked nothing that would deploy.
import { execFile } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { z } from "zod";
import { copyRepository, PROJECT_ROOT } from "../../src/stack/repository-copy";

const execFileAsync = promisify(execFile);
/** A command run to its end; its output in the error when it fails. */
async function run(file: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }) {
  try {
    return await execFileAsync(file, args, { ...options, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const failed = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`${failed.message}\n${failed.stdout ?? ""}\n${failed.stderr ?? ""}`.slice(-6000));
  }
}
const cliManifest = createRequire(import.meta.url).resolve("trigger.dev/package.json");
const CLI = path.join(
  path.dirname(cliManifest),
  (JSON.parse(fs.readFileSync(cliManifest, "utf8")) as { bin: { trigger: string } }).bin.trigger,
);

/** What the CLI asked the stub API. */
const asked: string[] = [];
let api: http.Server;
let apiUrl = "";
let copy = "";

beforeAll(async () => {
  api = http.createServer((request, response) => {
    const { pathname } = new URL(request.url ?? "/", "http://stub");
    asked.push(`${request.method} ${pathname}`);
    request.resume();
    const answer = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (pathname === "/api/v2/whoami") return answer(200, { userId: "user_stub", email: "deployer@example.com", dashboardUrl: apiUrl });
    if (/^\/api\/v1\/projects\/[^/]+\/prod$/.test(pathname))
      return answer(200, { apiKey: "tr_prod_stubstubstubstub", name: "Order fulfillment", apiUrl, projectId: "project_stub" });
    if (/^\/api\/v1\/projects\/[^/]+\/envvars$/.test(pathname)) return answer(200, { variables: {} });
    answer(404, { error: "the stub answers only what a dry run asks" });
  });
  await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
  apiUrl = `http://127.0.0.1:${(api.address() as { port: number }).port}`;
  copy = copyRepository();
});
afterAll(async () => {
  await new Promise<void>((resolve) => api.close(() => resolve()));
  if (copy) fs.rmSync(copy, { recursive: true, force: true });
});

/** The CLI's environment: the stub as its API (known once it listens). */
const environment = () => ({ ...process.env, TRIGGER_API_URL: apiUrl, TRIGGER_ACCESS_TOKEN: "tr_pat_stubstubstubstubstubstubstub" });

/** The tasks jobs/ exports, by id: what the bundle must hold. */
async function exportedTaskIds(): Promise<string[]> {
  const ids = new Set<string>();
  for (const file of fs.readdirSync(path.join(PROJECT_ROOT, "jobs")).filter((f) => f.endsWith(".ts"))) {
    const module = (await import(path.join(PROJECT_ROOT, "jobs", file))) as Record<string, unknown>;
    for (const value of Object.values(module)) {
      const task = value as { id?: unknown; trigger?: unknown } | null;
      if (task && typeof task.id === "string" && typeof task.trigger === "function") ids.add(task.id);
    }
  }
  return [...ids].sort();
}

const IndexedTasks = z.object({ tasks: z.array(z.object({ id: z.string(), filePath: z.string() })) });

it("jobs/ builds for deploy: the dry run's bundle holds every task, and nothing was deployed", async () => {
  const built = await run(
    process.execPath,
    [CLI, "deploy", "--dry-run", "--local-build", "--skip-update-check", "--skip-telemetry", "--plain"],
    { cwd: copy, env: { ...environment(), TRIGGER_PROJECT_REF: "proj_orderfulfillment" } },
  );
  expect(built.stdout + built.stderr).toMatch(/Successfully built code|Dry run complete/);
  const tmp = path.join(copy, ".trigger", "tmp");
  const [bundleName] = fs.readdirSync(tmp).filter((name) => name.startsWith("build-"));
  expect(bundleName, "the dry run's bundle").toBeDefined();
  const bundle = path.join(tmp, bundleName!);
  const manifest = JSON.parse(fs.readFileSync(path.join(bundle, "build.json"), "utf8")) as {
    target: string;
    files: { entry: string }[];
  };
  expect(manifest.target).toBe("deploy");
  const jobFiles = fs
    .readdirSync(path.join(PROJECT_ROOT, "jobs"))
    .filter((f) => f.endsWith(".ts"))
    .map((f) => `jobs/${f}`);
  expect(manifest.files.map((f) => f.entry).sort()).toEqual(jobFiles.sort());
  expect(fs.existsSync(path.join(bundle, "Containerfile"))).toBe(true);
  // Only who it is and the prod environment's key and variables: no deployment was made.
  expect([...new Set(asked)].sort()).toEqual([
    "GET /api/v1/projects/proj_orderfulfillment/envvars",
    "GET /api/v1/projects/proj_orderfulfillment/prod",
    "GET /api/v2/whoami",
  ]);

  // The image's indexer stage, run here: it runs in /app, where the bundle's paths point; here they point at the copy.
  const indexed = path.join(tmp, "indexed");
  fs.cpSync(bundle, indexed, { recursive: true });
  const buildJson = path.join(indexed, "build.json");
  fs.writeFileSync(buildJson, fs.readFileSync(buildJson, "utf8").replaceAll('"/app/', `"${indexed}/`));
  await run(process.execPath, [path.join(indexed, "node_modules/trigger.dev/dist/esm/entryPoints/managed-index-controller.mjs")], {
    cwd: indexed,
    env: {
      ...environment(),
      TRIGGER_SECRET_KEY: "tr_prod_stubstubstubstub",
      TRIGGER_PROJECT_REF: "proj_orderfulfillment",
      TRIGGER_DEPLOYMENT_ID: "deployment_dry_run",
    },
  });
  const index = IndexedTasks.parse(JSON.parse(fs.readFileSync(path.join(indexed, "index.json"), "utf8")));
  expect(index.tasks.map((t) => t.id).sort()).toEqual(await exportedTaskIds());
}, 240_000);
