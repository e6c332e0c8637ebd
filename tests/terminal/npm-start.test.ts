// `npm start` as a user sees it in a terminal (a pseudo-terminal from util-linux `script`): the CLI's own run
// lines appear below the stack's, marked as the CLI's, with "View logs" links (OSC 8 hyperlinks on a terminal)
// that open the run in our dashboard. And the second-terminal way: `npm run services`, then `npm run dev`.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { freePort } from "local-trigger/listen";
import { killWatchdog, withPlainLinks } from "local-trigger/dev-cli";
import { stripVTControlCharacters } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { copyRepository } from "../../src/stack/repository-copy";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

/** A command in a pseudo-terminal: what it prints (links written out, colours removed) as it prints it. */
function inTerminal(command: string, cwd: string, env: Record<string, string>) {
  let raw = "";
  // `exec`: script runs the command through $SHELL -c, and a non-interactive dash (CI's /bin/sh) dies of the
  // Ctrl-C itself instead of waiting for npm, as a user's interactive shell would.
  const child: ChildProcess = spawn("script", ["-qfec", `exec ${command}`, "/dev/null"], {
    cwd,
    env: { ...process.env, ...env, TERM: "xterm-256color" },
    detached: true,
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.stdout!.on("data", (chunk: Buffer) => (raw += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (raw += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const text = () => stripVTControlCharacters(withPlainLinks(raw)).replace(/\r/g, "");
  return {
    raw: () => raw,
    text,
    exited,
    async waitFor(pattern: RegExp, ms = 120_000): Promise<RegExpMatchArray> {
      const deadline = Date.now() + ms;
      for (;;) {
        const match = text().match(pattern);
        if (match) return match;
        if (Date.now() > deadline) throw new Error(`no ${pattern} within ${ms} ms; the terminal shows:\n${text().slice(-4000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    /** Ctrl-C, typed into the terminal (its line discipline signals the foreground process), then the exit. */
    async interrupt() {
      if (child.exitCode === null && child.signalCode === null) child.stdin!.write("\u0003");
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          /* gone */
        }
      }, 20_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

type Terminal = ReturnType<typeof inTerminal>;

async function stackEnvironment(database: TestDatabase, projectDir: string) {
  const [app, platform, stripe, smtp] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  return {
    env: {
      DATABASE_URL: database.url,
      DATA_DIR: path.join(projectDir, ".data"),
      APP_PORT: String(app),
      PLATFORM_PORT: String(platform),
      STRIPE_FAKE_PORT: String(stripe),
      SMTP_CATCHER_PORT: String(smtp),
      STRIPE_SECRET_KEY: "",
      SMTP_URL: "",
      TRIGGER_API_URL: "",
    },
    appUrl: `http://127.0.0.1:${app}`,
    platformUrl: `http://127.0.0.1:${platform}`,
  };
}

/** What a newcomer copies from the start's lines: the dashboard's login link and the app's token. */
async function printedSecrets(terminal: Terminal) {
  const loginUrl = (await terminal.waitFor(/Dashboard:\s+(http:\/\/\S+\/\?token=\w+)/))[1]!;
  const appToken = (await terminal.waitFor(/Authorization: Bearer (\S+)/))[1]!;
  // One click on the link: the dashboard's session cookie, then the page.
  const login = await fetch(loginUrl, { redirect: "manual" });
  expect(login.status).toBe(303);
  const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
  expect(cookie).toMatch(/^local_trigger_session=/);
  return { appToken, cookie };
}

async function fireOrder(appUrl: string, appToken: string, id: string) {
  const response = await fetch(`${appUrl}/api/events/order.created`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${appToken}` },
    body: JSON.stringify({ id, customer: { email: `${id}@example.com` }, lines: [{ sku: "MUG-LOGO", quantity: 1 }], currency: "usd" }),
  });
  expect(response.status).toBe(202);
}

/** The CLI's line for a finished run of `task`: its link, and the run id. */
async function finishedRunLine(terminal: Terminal, task: string) {
  const match = await terminal.waitFor(
    new RegExp(`trigger\\.dev │ ○ .*View logs (http://\\S+/runs/(run_\\w+)) \\| \\S+ \\| ${task} \\| run_\\w+\\.\\d+ \\| Success`),
  );
  return { url: match[1]!, runId: match[2]! };
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

async function prepare() {
  const database = await createTestDatabase();
  const projectDir = copyRepository();
  cleanups.push(async () => {
    killWatchdog(projectDir);
    fs.rmSync(projectDir, { recursive: true, force: true });
    await database.close();
  });
  return { projectDir, ...(await stackEnvironment(database, projectDir)) };
}

describe("npm start in a terminal", () => {
  it("shows the CLI's own run lines, marked as the CLI's, whose links open each run in the dashboard", async () => {
    const { projectDir, env, appUrl, platformUrl } = await prepare();
    const stack = inTerminal(`${process.execPath} --import tsx src/stack/main.ts`, projectDir, env);
    cleanups.push(async () => void (await stack.interrupt()));
    await stack.waitFor(/\nReady\./, 180_000);
    // The CLI's banner and its worker line came through, and the CLI connected.
    await stack.waitFor(/trigger\.dev │ .*Local worker ready/);
    await stack.waitFor(/● trigger\.dev dev connected \(project proj_orderfulfillment\)/);
    expect(stack.raw(), "colours and hyperlinks reach a terminal").toMatch(/\u001b\]8;;http/);
    const { appToken, cookie } = await printedSecrets(stack);

    await fireOrder(appUrl, appToken, `term-${Date.now().toString(36)}`);
    for (const task of ["process-order", "reserve-inventory", "charge-payment", "send-notification"]) {
      const { url, runId } = await finishedRunLine(stack, task);
      expect(url).toBe(`${platformUrl}/projects/v3/proj_orderfulfillment/runs/${runId}`);
      expect((await fetch(url)).status, "a run's page without the session").toBe(401);
      const page = await fetch(url, { headers: { cookie } });
      expect(page.status, url).toBe(200);
      const html = await page.text();
      expect(html).toContain(runId);
      expect(html).toContain(task);
    }
    expect(await stack.interrupt()).toBe(0);
    expect(stack.text()).toMatch(/stopped trigger\.dev dev/);
  }, 300_000);

  it("--no-cli starts the rest and says how to run the CLI; npm run dev in a second terminal connects and shows the runs", async () => {
    const { projectDir, env, appUrl, platformUrl } = await prepare();
    const stack = inTerminal(`${process.execPath} --import tsx src/stack/main.ts --no-cli`, projectDir, env);
    cleanups.push(async () => void (await stack.interrupt()));
    await stack.waitFor(/\nReady\./, 180_000);
    await stack.waitFor(/Run it in a second terminal:\n\s+npm run dev/);
    expect(stack.text()).not.toMatch(/trigger\.dev │/);

    const dev = inTerminal(`${process.execPath} --import tsx src/stack/dev-command.ts`, projectDir, env);
    cleanups.push(async () => void (await dev.interrupt()));
    await dev.waitFor(/Local worker ready/, 120_000);
    await stack.waitFor(/● trigger\.dev dev connected \(project proj_orderfulfillment\)/);

    const { appToken, cookie } = await printedSecrets(stack);
    await fireOrder(appUrl, appToken, `term2-${Date.now().toString(36)}`);
    const { url, runId } = await finishedRunLine(dev, "process-order");
    expect(url).toBe(`${platformUrl}/projects/v3/proj_orderfulfillment/runs/${runId}`);
    const page = await fetch(url, { headers: { cookie } });
    expect(page.status, await page.clone().text()).toBe(200);

    expect(await dev.interrupt()).toBe(0);
    await stack.waitFor(/○ trigger\.dev dev disconnected \(project proj_orderfulfillment\)/, 30_000);
  }, 300_000);

  it("an unknown flag is a clear error with the usage, and nothing starts", async () => {
    const { projectDir } = await prepare();
    const run = inTerminal(`${process.execPath} --import tsx src/stack/main.ts --no-clii`, projectDir, {});
    await run.waitFor(/Unknown option '--no-clii'[\s\S]*Usage: npm start/, 30_000);
    expect(await run.exited).toBe(2);
    expect(run.text()).not.toMatch(/Starting the order-fulfillment stack/);
  }, 60_000);
});
