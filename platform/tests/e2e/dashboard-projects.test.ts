// The dashboard for any project: two projects made the way the CLI makes them, runs triggered into each with
// its own secret key over HTTP (no CLI needed), and the links the CLI prints (/projects/v3/<ref>/…) open that
// project's pages; a run of another project, or an unknown project, is a 404 page. Actions act in the shown
// project; the API keys page shows only that project's key; whoami names the project as the core's schema says.
import { WhoAmIResponseSchema } from "@trigger.dev/core/v3/schemas";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ACCESS_TOKEN as TOKEN,
  dashboardHeaders,
  FIXTURE_REF,
  SECRET_KEY,
  startPlatformHarness,
  type PlatformHarness,
} from "../support/platform";

const ALPHA = "proj_dashalpha";
const BETA = "proj_dashbeta";
const ACCESS_TOKEN = { authorization: `Bearer ${TOKEN}` };

let h: PlatformHarness;
const keys: Record<string, string> = {};
const runsOf: Record<string, string[]> = { [ALPHA]: [], [BETA]: [], [FIXTURE_REF]: [] };

async function trigger(ref: string, task: string, payload: unknown): Promise<string> {
  const response = await fetch(`${h.url}/api/v1/tasks/${task}/trigger`, {
    method: "POST",
    headers: { authorization: `Bearer ${keys[ref]}`, "content-type": "application/json" },
    body: JSON.stringify({ payload, options: { tags: [`project:${ref}`] } }),
  });
  expect(response.status).toBe(200);
  const { id } = (await response.json()) as { id: string };
  runsOf[ref]!.push(id);
  return id;
}

/** A dashboard page: its status and HTML (redirects followed, as a browser would). */
async function page(path: string): Promise<{ status: number; html: string; url: string }> {
  const response = await fetch(`${h.url}${path}`, { headers: dashboardHeaders() });
  return { status: response.status, html: await response.text(), url: response.url };
}

/** The Location a dashboard answer redirects to (not followed). */
async function redirectOf(path: string, init: RequestInit = {}): Promise<string> {
  const response = await fetch(`${h.url}${path}`, { ...init, headers: dashboardHeaders(), redirect: "manual" });
  expect([302, 303]).toContain(response.status);
  return response.headers.get("location") ?? "";
}

async function runStatus(ref: string, runId: string): Promise<number | string> {
  const response = await fetch(`${h.url}/api/v3/runs/${runId}`, { headers: { authorization: `Bearer ${keys[ref]}` } });
  return response.ok ? ((await response.json()) as { status: string }).status : response.status;
}

/** The projects list's row for a project's environment. */
const projectRow = (html: string, ref: string) =>
  html.match(new RegExp(`<tr data-project="${ref}" data-environment="dev">(.*?)</tr>`, "s"))?.[1] ?? "";

beforeAll(async () => {
  h = await startPlatformHarness();
  keys[FIXTURE_REF] = SECRET_KEY;
  // As `trigger.dev dev` does first: the project's dev environment, which makes the project.
  for (const ref of [ALPHA, BETA]) {
    const response = await fetch(`${h.url}/api/v1/projects/${ref}/dev`, { headers: ACCESS_TOKEN });
    expect(response.status).toBe(200);
    keys[ref] = ((await response.json()) as { apiKey: string }).apiKey;
  }
  // Alpha's CLI registers a worker (task "hello"); beta's never connects.
  const worker = await fetch(`${h.url}/api/v1/projects/${ALPHA}/background-workers`, {
    method: "POST",
    headers: { ...ACCESS_TOKEN, "content-type": "application/json" },
    body: JSON.stringify({
      localOnly: true,
      metadata: { packageVersion: "4.8.3", contentHash: "alpha-1", tasks: [{ id: "hello", filePath: "src/hello.ts" }] },
    }),
  });
  expect(worker.status).toBe(200);
  await trigger(ALPHA, "hello", { n: 1 });
  await trigger(ALPHA, "hello", { n: 2 });
  await trigger(BETA, "greet", { n: 3 });
  await trigger(FIXTURE_REF, "echo", { message: "default" });
}, 120_000);

afterAll(async () => {
  await h?.platform.close();
  await h?.database.close();
});

describe("the projects page", () => {
  it("lists every project with its environment, runs, last run and whether a CLI worker is registered", async () => {
    const { status, html } = await page("/projects");
    expect(status).toBe(200);
    const alpha = projectRow(html, ALPHA);
    const beta = projectRow(html, BETA);
    expect(alpha).toContain(`href="/projects/v3/${ALPHA}/runs"`);
    expect(alpha).toContain(`href="/projects/v3/${ALPHA}/runs?envSlug=dev"`);
    expect(alpha).toContain(`href="/projects/v3/${ALPHA}/apikeys"`);
    expect(alpha).toContain('<td class="run-count">2</td>');
    expect(alpha).toMatch(/<td class="cli-worker">yes: \d{8}\.\d+/);
    expect(beta).toContain('<td class="run-count">1</td>');
    expect(beta).toContain("none yet");
    expect(beta).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ/); // its last run's time
    expect(projectRow(html, FIXTURE_REF)).toContain("default");
  });

  it("switches project keeping the section, and opens a project's own link on its runs", async () => {
    expect(await redirectOf(`/projects/switch?ref=${BETA}&section=apikeys`)).toBe(`/projects/v3/${BETA}/apikeys`);
    expect(await redirectOf(`/projects/switch?ref=${BETA}&section=nonsense`)).toBe(`/projects/v3/${BETA}/runs`);
    expect(await redirectOf("/projects/switch?ref=")).toBe("/projects");
    expect(await redirectOf(`/projects/v3/${ALPHA}`)).toBe(`/projects/v3/${ALPHA}/runs`);
  });
});

describe("the links the CLI prints", () => {
  it("a run's link opens that run in its project; under another project it is a 404 page pointing to its own", async () => {
    const [alphaRun] = runsOf[ALPHA]!;
    const own = await page(`/projects/v3/${ALPHA}/runs/${alphaRun}`);
    expect(own.status).toBe(200);
    expect(own.html).toContain(alphaRun);
    expect(own.html).toContain(`data-project="${ALPHA}"`); // the frame says which project is shown
    expect(own.html).toContain(`action="/projects/v3/${ALPHA}/runs/${alphaRun}/cancel"`); // its actions stay in it

    const other = await page(`/projects/v3/${BETA}/runs/${alphaRun}`);
    expect(other.status).toBe(404);
    expect(other.html).toContain(`No run ${alphaRun} in ${BETA} (dev)`);
    expect(other.html).toContain(`href="/projects/v3/${ALPHA}/runs/${alphaRun}"`);
    expect((await page(`/projects/v3/${ALPHA}/runs/run_doesnotexist`)).status).toBe(404);
  });

  it("View runs (?envSlug=dev) lists only that project's runs, linking to them under the project", async () => {
    const alpha = await page(`/projects/v3/${ALPHA}/runs?envSlug=dev`);
    expect(alpha.status).toBe(200);
    for (const id of runsOf[ALPHA]!) expect(alpha.html).toContain(`href="/projects/v3/${ALPHA}/runs/${id}"`);
    for (const id of [...runsOf[BETA]!, ...runsOf[FIXTURE_REF]!]) expect(alpha.html).not.toContain(id);
    expect(alpha.html).toContain(`href="/projects/v3/${ALPHA}/apikeys"`); // the nav is the project's

    const beta = await page(`/projects/v3/${BETA}/runs?envSlug=dev`);
    expect(beta.status).toBe(200);
    expect(beta.html).toContain(runsOf[BETA]![0]);
    for (const id of runsOf[ALPHA]!) expect(beta.html).not.toContain(id);
  });

  it("Test tasks (?environment=dev) is that project's test page, with its tasks", async () => {
    const alpha = await page(`/projects/v3/${ALPHA}/test?environment=dev`);
    expect(alpha.status).toBe(200);
    expect(alpha.html).toContain('<option value="hello"');
    expect(alpha.html).toContain(`action="/projects/v3/${ALPHA}/test"`);
    const beta = await page(`/projects/v3/${BETA}/test?environment=dev`);
    expect(beta.status).toBe(200);
    expect(beta.html).toContain("No tasks yet");
    expect((await page(`/projects/v3/${BETA}/schedules`)).status).toBe(200);
  });

  it("an unknown project or environment is a 404 page, and looking does not make the project", async () => {
    const unknown = await page("/projects/v3/proj_nosuchthing/runs?envSlug=dev");
    expect(unknown.status).toBe(404);
    expect(unknown.html).toContain("No project proj_nosuchthing");
    expect((await page("/projects/v3/proj_nosuchthing/test?environment=dev")).status).toBe(404);
    const prod = await page(`/projects/v3/${ALPHA}/runs?envSlug=prod`);
    expect(prod.status).toBe(404);
    expect(prod.html).toContain(`No environment prod in project ${ALPHA}`);
    expect((await page("/projects")).html).not.toContain("proj_nosuchthing");
  });
});

describe("actions act in the shown project", () => {
  it("a test run triggered from a project's test page is that project's, and lands on its page there", async () => {
    const location = await redirectOf(`/projects/v3/${ALPHA}/test`, {
      method: "POST",
      body: new URLSearchParams({ task: "hello", payload: '{"n":4}' }),
    });
    const runId = location.match(/^\/projects\/v3\/proj_dashalpha\/runs\/(run_\w+)\?flash=/)?.[1];
    expect(runId, location).toBeDefined();
    expect(await runStatus(ALPHA, runId!)).toBe("QUEUED");
    expect(await runStatus(BETA, runId!)).toBe(404);
  });

  it("cancel works under the run's project and is refused under another's", async () => {
    const [betaRun] = runsOf[BETA]!;
    const refused = await redirectOf(`/projects/v3/${ALPHA}/runs/${betaRun}/cancel`, { method: "POST" });
    expect(refused).toMatch(new RegExp(`^/projects/v3/${ALPHA}/runs/${betaRun}\\?flash=.*&kind=error$`));
    expect(await runStatus(BETA, betaRun!)).toBe("QUEUED");

    const done = await redirectOf(`/projects/v3/${BETA}/runs/${betaRun}/cancel`, { method: "POST" });
    expect(done).toBe(`/projects/v3/${BETA}/runs/${betaRun}?flash=Run+cancelled`);
    expect(await runStatus(BETA, betaRun!)).toBe("CANCELED");
  });
});

describe("the default project's short paths", () => {
  it("still show the default project, and only it", async () => {
    const runs = await page("/runs");
    expect(runs.status).toBe(200);
    expect(runs.html).toContain(`href="/runs/${runsOf[FIXTURE_REF]![0]}"`);
    expect(runs.html).toContain(`data-project="${FIXTURE_REF}"`);
    for (const id of runsOf[ALPHA]!) expect(runs.html).not.toContain(id);
    expect((await page(`/runs/${runsOf[ALPHA]![0]}`)).status).toBe(404);
    expect((await page("/test")).status).toBe(200);
    expect((await page("/schedules")).status).toBe(200);
    expect(await redirectOf("/")).toBe("/runs");
    // The same project at Trigger.dev's URL.
    expect((await page(`/projects/v3/${FIXTURE_REF}/runs/${runsOf[FIXTURE_REF]![0]}`)).status).toBe(200);
  });
});

describe("the API keys page", () => {
  it("shows the project's secret key and the variables to set, and not another project's key", async () => {
    const alpha = await page(`/projects/v3/${ALPHA}/apikeys`);
    expect(alpha.status).toBe(200);
    expect(alpha.html).toContain(`<code class="secret-key">${keys[ALPHA]}</code>`);
    expect(alpha.html).toContain(`TRIGGER_API_URL=${h.url}\nTRIGGER_SECRET_KEY=${keys[ALPHA]}`);
    expect(alpha.html).not.toContain(keys[BETA]);
    const beta = await page(`/projects/v3/${BETA}/apikeys`);
    expect(beta.html).toContain(`TRIGGER_SECRET_KEY=${keys[BETA]}`);
    expect(beta.html).not.toContain(keys[ALPHA]);
    // The key works: it lists the project's runs over the API.
    const listed = await fetch(`${h.url}/api/v1/runs`, { headers: { authorization: `Bearer ${keys[BETA]}` } });
    expect(((await listed.json()) as { data: { id: string }[] }).data.map((r) => r.id)).toEqual(runsOf[BETA]);
  });
});

describe("whoami", () => {
  it("answers as the core's WhoAmIResponseSchema says, with the project the CLI names and its dashboard URL", async () => {
    const plain = await fetch(`${h.url}/api/v2/whoami`, { headers: ACCESS_TOKEN });
    expect(plain.status).toBe(200);
    const anyone = WhoAmIResponseSchema.parse(await plain.json());
    expect(anyone.project).toBeUndefined();
    expect(anyone.dashboardUrl).toBe(h.url);

    // What the CLI's apiClient sends for `trigger.dev whoami` in a project: ?projectRef=.
    const named = await fetch(`${h.url}/api/v2/whoami?projectRef=${BETA}`, { headers: ACCESS_TOKEN });
    const withProject = WhoAmIResponseSchema.parse(await named.json());
    expect(withProject.project).toEqual({ name: BETA, url: `${h.url}/projects/v3/${BETA}`, orgTitle: "Local" });
    const opened = await page(new URL(withProject.project!.url).pathname);
    expect(opened.status).toBe(200);
    expect(new URL(opened.url).pathname).toBe(`/projects/v3/${BETA}/runs`);

    expect((await fetch(`${h.url}/api/v2/whoami?projectRef=`, { headers: ACCESS_TOKEN })).status).toBe(400);
    expect((await fetch(`${h.url}/api/v2/whoami`)).status).toBe(401);
  });
});
