// Issue 13's attack suite, the rendering part: hostile strings put into every place the dashboard renders
// data it did not write — a run's payload, tags, metadata, idempotency key, log lines and spans, error and
// attempts; an order's id, customer name and e-mail, SKUs, failure reason, payments, notifications and
// timeline; the catalog; caught mail; values the URL or a form carries back (flash, filters, 404s, the login
// page's `next`) — and every page visited in Chromium twice: as served (its Content-Security-Policy on) and
// with the CSP bypassed, so that escaping alone must hold. On each page: no script ran (window.__pwned unset,
// no dialog, no CSP violation), no request left for another origin, no markup or link came from the data,
// and the hostile text is there, as text.
//
// Seeded through the real paths where they are cheap (the SDK's trigger, OTLP/HTTP, acceptOrder, notify()
// through the mail catcher, nodemailer); directly in the tables where no API can put the value (an e-mail
// address or SKU order.created refuses, a run's error without a task process).
import { eq } from "drizzle-orm";
import { configure, tasks } from "@trigger.dev/sdk";
import path from "node:path";
import type { Browser, BrowserContext, Page, Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { caughtMessages } from "local-stand-ins/schema";
import { startMailCatcher, type MailCatcher } from "local-stand-ins/smtp";
import { internalId, startPlatform, type RunningPlatform } from "local-trigger";
import { attempts, runs } from "local-trigger/schema";
import { notifications, orderItems, orders, payments } from "../../db/schema";
import { seedCatalog } from "../../db/seed";
import { businessDashboard } from "../../src/dashboard/business-dashboard";
import { createMailTransport } from "../../src/mail/mail-transport";
import { notify } from "../../src/mail/notify";
import { orderTag } from "../../src/orders/order-tag";
import { recordOrderEvent } from "../../src/orders/order-status";
import { launchChromium, SCREENSHOTS } from "../support/browser";
import { placeOrder } from "../support/orders";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

const HOSTILE = [
  `<img src=x onerror="window.__pwned=1;fetch('http://evil.example/x')">`,
  `</script><script>window.__pwned=1</script>`,
  `"><svg onload=window.__pwned=1>`,
  `javascript:window.__pwned=1`,
  `{{constructor.constructor('window.__pwned=1')()}}`,
  // Beyond the brief: out of the elements whose content is raw text (a <textarea>, the <title>, a <style>).
  `</textarea></title></style><img src=x onerror=window.__pwned=1>`,
] as const;

/** Matches exactly `text` (for Playwright's hasText, which otherwise takes a substring). */
const exactly = (text: string) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);

/** How a string shows inside pretty-printed JSON (its quotes escaped). */
const asJson = (text: string) => JSON.stringify(text).slice(1, -1);

const RUN_TASK = "hostile-task";

type Seeded = {
  /** The friendly id of the run carrying HOSTILE[i]. */
  runIds: string[];
  /** The order (accepted through acceptOrder) carrying HOSTILE[i]; its id is safe. */
  orderIds: string[];
  /** The caught mails: notify()'s confirmation of orderIds[i], and a raw hostile message per string. */
  confirmationMailIds: number[];
  rawMailIds: number[];
};

const state: { database?: TestDatabase; platform?: RunningPlatform; catcher?: MailCatcher; browser?: Browser; seeded?: Seeded } = {};
const origin = () => state.platform!.url;
const seeded = () => state.seeded!;

beforeAll(async () => {
  state.database = await createTestDatabase();
  state.catcher = await startMailCatcher({ databaseUrl: state.database.url, port: 0 });
  state.platform = await startPlatform({
    databaseUrl: state.database.url,
    port: 0,
    options: {
      defaultProjectRef: "proj_hostilecontent",
      dequeue: { holdMs: 1_000, intervalWithRunMs: 0, intervalWithoutRunMs: 20, maxConcurrentRuns: 5 },
      heartbeatTimeoutMs: 30_000,
      defaultMaxAttempts: 1,
      taskEnvironment: {},
    },
    dashboard: businessDashboard(state.database.db),
  });
  // The SDK (the test's triggers, and the order page's run list) talks to this platform.
  configure({ baseURL: state.platform.url, accessToken: state.platform.secretKey });
  state.seeded = await seed(state.database, state.platform, state.catcher);
  state.browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await state.browser?.close();
  await state.platform?.close();
  await state.catcher?.close();
  await state.database?.close();
});

async function seed(database: TestDatabase, platform: RunningPlatform, catcher: MailCatcher): Promise<Seeded> {
  const { db } = database;
  const transport = createMailTransport(catcher.url);
  // The catalog: a plain product for the orders, and products whose SKU and name are hostile (order.created
  // only takes SKUs like MUG-LOGO, so these go straight into the catalog).
  await seedCatalog(db, [
    { sku: "MUG-LOGO", name: "Mug with logo", priceCents: 1200, currency: "usd", onHand: 100 },
    ...HOSTILE.map((h) => ({ sku: h, name: h, priceCents: 100, currency: "usd", onHand: 10 })),
  ]);

  const orderIds: string[] = [];
  const runIds: string[] = [];
  for (const [i, h] of HOSTILE.entries()) {
    // An order: accepted as the API would (the name is the customer's own), then given what only the
    // database can hold: a hostile SKU, e-mail address, failure reason, payment, mail error.
    const orderId = `hostile-${i}`;
    orderIds.push(orderId);
    await placeOrder(db, orderId, { "MUG-LOGO": 1 }, { customer: { email: `${orderId}@example.com`, name: h } });
    await db.insert(orderItems).values({ orderId, sku: h, quantity: 1, unitPriceCents: 100 });
    // The confirmation mail through the real sender and catcher, the name and SKU in it.
    await notify(db, orderId, "confirmation", { transport, from: "shop@example.com" });
    await db.update(orders).set({ customerEmail: h, failureReason: h }).where(eq(orders.id, orderId));
    await db.update(notifications).set({ lastError: h }).where(eq(notifications.orderId, orderId));
    await db.insert(payments).values({
      orderId,
      kind: "charge",
      idempotencyKey: `order-${orderId}-charge`,
      providerId: h,
      amountCents: 1300,
      currency: "usd",
      status: "failed",
      failureCode: "card_declined",
      failureMessage: h,
      attempts: 1,
    });
    await recordOrderEvent(db, orderId, "note", { note: h });

    // A run: payload, tags, metadata and idempotency key through the SDK's trigger; a log line and a span over
    // OTLP/HTTP as a task process exports them; its failure written as the engine would (no task process here).
    const handle = await tasks.trigger(
      RUN_TASK,
      { note: h, nested: { list: [h] } },
      { tags: [h, orderTag(orderId)], metadata: { note: h }, idempotencyKey: h },
    );
    runIds.push(handle.id);
    const now = Date.now();
    const nanos = (ms: number) => `${ms}000000`;
    const attribute = (key: string, value: string) => ({ key, value: { stringValue: value } });
    await postOtlp(platform, "/otel/v1/traces", {
      resourceSpans: [
        {
          resource: { attributes: [] },
          scopeSpans: [
            {
              spans: [
                {
                  traceId: "0af7651916cd43dd8448eb211c80319c",
                  spanId: `00f067aa0ba902b${i}`,
                  name: h,
                  startTimeUnixNano: nanos(now - 50),
                  endTimeUnixNano: nanos(now),
                  attributes: [attribute("ctx.run.id", handle.id), attribute("note", h)],
                  status: { code: 2 },
                },
              ],
            },
          ],
        },
      ],
    });
    await postOtlp(platform, "/otel/v1/logs", {
      resourceLogs: [
        {
          resource: { attributes: [] },
          scopeLogs: [
            {
              logRecords: [
                {
                  timeUnixNano: nanos(now - 20),
                  severityText: "ERROR",
                  severityNumber: 17,
                  body: { stringValue: h },
                  attributes: [attribute("ctx.run.id", handle.id), attribute("note", h)],
                },
              ],
            },
          ],
        },
      ],
    });
    const error = { type: "BUILT_IN_ERROR", name: "Error", message: h, stackTrace: `Error: ${h}\n    at run (hostile-task.ts:1:1)` };
    const runId = internalId(handle.id);
    await db
      .update(runs)
      .set({
        status: "COMPLETED_WITH_ERRORS",
        error,
        attemptNumber: 1,
        startedAt: new Date(now - 100),
        completedAt: new Date(),
        availableAt: null,
      })
      .where(eq(runs.id, runId));
    await db
      .insert(attempts)
      .values({ runId, number: 1, status: "FAILED", error, startedAt: new Date(now - 100), completedAt: new Date() });
  }
  await platform.context.runEvents.flush();

  // Orders whose very id is hostile (order.created refuses such ids; the pages must not trust that).
  for (const h of HOSTILE) {
    await db.insert(orders).values({
      id: h,
      customerEmail: "someone@example.com",
      totalCents: 1200,
      currency: "usd",
      paymentMethod: "pm_card_visa",
      contentHash: "seeded-directly",
    });
    await db.insert(orderItems).values({ orderId: h, sku: "MUG-LOGO", quantity: 1, unitPriceCents: 1200 });
  }

  // Mail that is hostile from end to end: subject, sender's name, text, a header, and an HTML part that tries
  // to run script and load a remote image (the dashboard shows it in a sandboxed frame under a sandbox CSP).
  for (const [i, h] of HOSTILE.entries()) {
    await transport.sendMail({
      from: { name: h, address: "shop@example.com" },
      to: `raw-${i}@example.com`,
      subject: h,
      text: h,
      html: `<p>${h}</p><script>window.__pwned=1;parent.__pwned=1</script><img src="http://evil.example/pixel-${i}.png">`,
      headers: { "X-Note": { prepared: true, value: h } }, // as is: neither encoded nor folded
    });
  }
  transport.close();

  const mails = await db.select().from(caughtMessages);
  const mailTo = (address: string) => {
    const mail = mails.find((m) => m.envelopeTo.includes(address));
    if (!mail) throw new Error(`no mail caught for ${address}`);
    return mail.id;
  };
  return {
    runIds,
    orderIds,
    confirmationMailIds: orderIds.map((id) => mailTo(`${id}@example.com`)),
    rawMailIds: HOSTILE.map((_, i) => mailTo(`raw-${i}@example.com`)),
  };
}

async function postOtlp(platform: RunningPlatform, route: "/otel/v1/traces" | "/otel/v1/logs", body: unknown) {
  const response = await fetch(`${platform.url}${route}`, {
    method: "POST",
    // As a task process exports: with its project's secret key.
    headers: { "content-type": "application/json", authorization: `Bearer ${platform.secretKey}` },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
  // Stored whole: nothing rejected, nothing repaired.
  expect(((await response.json()) as { partialSuccess?: Record<string, unknown> }).partialSuccess ?? {}).toEqual({});
}

// Evaluated in the page as strings: this project's types have no DOM.
/** Every trace of markup or a link that came from data: inline handlers anywhere, elements the dashboard never
 *  puts in <main>, and any URL (link, form, frame, script) leading away from the dashboard. */
const INJECTED_MARKUP = `(() => {
  const found = [];
  for (const el of document.querySelectorAll("*"))
    for (const attribute of el.attributes) if (/^on/i.test(attribute.name)) found.push(el.tagName + "[" + attribute.name + "]");
  // The Metrics page's own charts are SVG (a chart's frame, a task's duration bars); an SVG anywhere else, or
  // inside one of them, came from the data.
  for (const el of document.querySelectorAll("main script, main img, main svg:not(figure.chart > svg, td > svg.duration-bars), main object, main embed, main base, main meta, main link, main iframe:not(.mail)"))
    found.push(el.tagName + " in main");
  for (const el of document.querySelectorAll("[href], [src], [action], [formaction], [data]")) {
    const raw = el.getAttribute("href") ?? el.getAttribute("src") ?? el.getAttribute("action") ?? el.getAttribute("formaction") ?? el.getAttribute("data");
    const url = new URL(raw, location.href);
    if (url.origin !== location.origin) found.push(el.tagName + " -> " + url.href);
  }
  return found;
})()`;
/** Collects the page's CSP violations (from an init script: a page script could not be trusted to). */
const CSP_VIOLATION_RECORDER = `
  window.__cspViolations = [];
  document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI));
`;

type Sent = { url: string; frameUrl: string; request: Request };

/** A logged-in browser context for one mode, watching every request, dialog and CSP violation. */
function useVisitor(bypassCSP: boolean) {
  const s: { context?: BrowserContext; page?: Page; sent: Sent[]; blocked: Sent[]; dialogs: string[] } = {
    sent: [],
    blocked: [],
    dialogs: [],
  };
  const frameUrlOf = (request: Request) => {
    try {
      return request.frame().url();
    } catch {
      return "(no frame)";
    }
  };
  const isOurs = (url: string) => new URL(url).origin === new URL(origin()).origin;

  async function open(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await state.browser!.newContext({ bypassCSP, viewport: { width: 1280, height: 800 } });
    await context.addInitScript({ content: CSP_VIOLATION_RECORDER });
    context.on("request", (request) => s.sent.push({ url: request.url(), frameUrl: frameUrlOf(request), request }));
    // Anything for another origin is refused here (and noted), so nothing can leave even if it were tried.
    await context.route("**/*", async (route) => {
      const request = route.request();
      if (isOurs(request.url())) return route.continue();
      s.blocked.push({ url: request.url(), frameUrl: frameUrlOf(request), request });
      return route.abort("blockedbyclient");
    });
    const page = await context.newPage();
    page.on("dialog", (dialog) => {
      s.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      void dialog.dismiss();
    });
    return { context, page };
  }

  beforeAll(async () => {
    const opened = await open();
    s.context = opened.context;
    s.page = opened.page;
    // The login link sets the session cookie and redirects to the runs.
    await s.page.goto(state.platform!.loginUrl);
    expect(new URL(s.page.url()).pathname).toBe("/runs");
  }, 60_000);
  afterAll(async () => {
    await s.context?.close();
  });

  const v = {
    get page(): Page {
      return s.page!;
    },
    bypassCSP,
    open,
    /** Opens `path` on the dashboard: its response must carry the CSP, and the page be inert. */
    async visit(path: string, status = 200, page: Page = s.page!) {
      const response = await page.goto(`${origin()}${path}`);
      if (!response) throw new Error(`no response for ${path}`);
      expect(response.status(), path).toBe(status);
      await v.expectCsp(response.headers(), path);
      await page.waitForLoadState("load");
      await page.waitForTimeout(150); // an image's onerror, a fetch: their chance to run
      await v.expectInert(path, page);
      return response;
    },
    async expectCsp(headers: Record<string, string>, where: string) {
      const csp = headers["content-security-policy"] ?? "";
      expect(csp, `CSP of ${where}`).toContain("default-src 'none'");
      expect(csp, `CSP of ${where}`).toContain("script-src 'self'");
      expect(csp, `CSP of ${where}`).toContain("connect-src 'self'");
      expect(csp.match(/script-src[^;]*/)?.[0], `CSP of ${where}`).not.toMatch(/unsafe-inline|unsafe-eval/);
    },
    /** Nothing ran, nothing left, nothing came from the data as markup. */
    async expectInert(where: string, page: Page = s.page!) {
      await v.expectNothingRanOrLeft(where, page);
      expect(await page.evaluate<string[]>("window.__cspViolations ?? []"), `${where}: CSP violations`).toEqual([]);
      expect(await page.evaluate<string[]>(INJECTED_MARKUP), `${where}: markup from data`).toEqual([]);
    },
    /** No script ran (in any frame), no dialog opened, no request left for another origin. */
    async expectNothingRanOrLeft(where: string, page: Page = s.page!) {
      for (const frame of page.frames()) {
        // A frame without scripts (the mail's sandbox) cannot have run one; it may not take an evaluation either.
        const pwned = await frame.evaluate<string>("typeof window.__pwned").catch((error: unknown) => {
          if (frame !== page.mainFrame() && /\/mail\/\d+\/html$/.test(frame.url())) return "undefined";
          throw error;
        });
        expect(pwned, `${where}: window.__pwned in ${frame.url()}`).toBe("undefined");
      }
      expect(s.dialogs, `${where}: dialogs`).toEqual([]);
      // The mail's own HTML part is HTML by design: with the CSP bypassed, only its frame may try to load its
      // remote image (refused by the route here; as served, the frame's sandbox CSP stops it first).
      const allowed = (r: Sent) => bypassCSP && /\/mail\/\d+\/html$/.test(r.frameUrl);
      // Chromium reports a request its CSP refused too (failing it with "csp"): that one never left.
      const refusedByCsp = (r: Sent) => /^csp$|BLOCKED_BY_CSP/.test(r.request.failure()?.errorText ?? "");
      const shown = (list: Sent[]) => list.map((r) => ({ url: r.url, frameUrl: r.frameUrl, failure: r.request.failure()?.errorText }));
      expect(shown(s.sent.filter((r) => !isOurs(r.url) && !refusedByCsp(r) && !allowed(r))), `${where}: requests to other origins`).toEqual(
        [],
      );
      expect(shown(s.blocked.filter((r) => !allowed(r))), `${where}: requests refused by the route`).toEqual([]);
    },
    /** The visible text of the first element matching `selector`. */
    text: (selector: string, page: Page = s.page!) => page.locator(selector).first().innerText(),
    /** The visible text of the card whose heading is `heading`. */
    card: (heading: string, page: Page = s.page!) =>
      page
        .locator("section.card")
        .filter({ has: page.locator("h2", { hasText: new RegExp(`^${heading}$`) }) })
        .first()
        .innerText(),
    async screenshot(name: string) {
      if (!bypassCSP) await s.page!.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
    },
  };
  return v;
}

describe.each([
  { mode: "as served (CSP on)", bypassCSP: false },
  { mode: "with the CSP bypassed (escaping alone)", bypassCSP: true },
])("hostile content in the dashboard, $mode", ({ bypassCSP }) => {
  const v = useVisitor(bypassCSP);

  it("the runs list shows every hostile tag as text", async () => {
    await v.visit("/runs");
    for (const [i, h] of HOSTILE.entries()) {
      const tags = await v.page.locator(`#runs-table tr[data-run="${seeded().runIds[i]}"] a.tag`).allInnerTexts();
      expect(tags, h).toContain(h);
    }
    await v.screenshot("hostile-runs");
    await v.expectInert("/runs");
  });

  it("each run page shows payload, tags, metadata, key, log line, span, error and attempt as text", async () => {
    for (const [i, h] of HOSTILE.entries()) {
      const runId = seeded().runIds[i]!;
      await v.visit(`/runs/${runId}`);
      expect(await v.page.locator("dd a.tag").allInnerTexts(), `tags of ${runId}`).toContain(h);
      expect(await v.card("Payload"), `payload of ${runId}`).toContain(`"note": "${asJson(h)}"`);
      expect(await v.card("Metadata"), `metadata of ${runId}`).toContain(`"note": "${asJson(h)}"`);
      expect(await v.card("Idempotency key"), `key of ${runId}`).toContain(h);
      expect(await v.text("#trace tr.log-row"), `log line of ${runId}`).toContain(h);
      expect(await v.text("#trace tr.span-row"), `span of ${runId}`).toContain(h);
      const error = await v.card("Error");
      expect(error, `error of ${runId}`).toContain(`Error: ${h}`);
      expect(error, `stack of ${runId}`).toContain(`at run (hostile-task.ts:1:1)`);
      expect(await v.card("Attempts"), `attempt of ${runId}`).toContain(`"message": "${asJson(h)}"`);
      // The replay form's <textarea> holds the payload as its text, not as markup after it.
      expect(await v.page.locator("textarea[name=payload]").inputValue(), `replay payload of ${runId}`).toContain(asJson(h));
      if (i === 0) await v.screenshot("hostile-run");
      await v.expectInert(`/runs/${runId}`);
    }
  });

  it("a live run page re-renders a new hostile metadata value as text (the refresh goes through innerHTML)", async () => {
    const runId = seeded().runIds[0]!;
    await v.visit(`/runs/${runId}`);
    const marker = `live-${bypassCSP ? "bypass" : "csp"}-${Date.now()}`;
    const live = HOSTILE.map((h) => `${h} ${marker}`);
    const response = await fetch(`${origin()}/api/v1/runs/${runId}/metadata`, {
      method: "PUT",
      headers: { "content-type": "application/json", authorization: `Bearer ${state.platform!.secretKey}` },
      body: JSON.stringify({ operations: [{ type: "set", key: "live", value: live }] }),
    });
    expect(response.status).toBe(200);
    // No reload: the page's script fetches the new <main> and puts it in place.
    await expect.poll(() => v.card("Metadata"), { timeout: 15_000, interval: 200 }).toContain(marker);
    const metadata = await v.card("Metadata");
    for (const value of live) expect(metadata).toContain(asJson(value));
    await v.page.waitForTimeout(150);
    await v.expectInert(`/runs/${runId} after a live refresh`);
  });

  it("a hostile tag's link filters the runs on this dashboard and puts the tag back as the filter's value", async () => {
    for (const [i, h] of HOSTILE.entries()) {
      await v.visit("/runs");
      await v.page
        .locator(`#runs-table tr[data-run="${seeded().runIds[i]}"] a.tag`)
        .filter({ hasText: exactly(h) })
        .first()
        .click();
      await v.page.waitForURL((url) => url.pathname === "/runs" && url.searchParams.get("tag") === h);
      expect(new URL(v.page.url()).origin).toBe(new URL(origin()).origin);
      expect(await v.page.locator("input[name=tag]").inputValue()).toBe(h);
      expect(await v.page.locator("#runs-table tbody tr[data-run]").count()).toBe(1);
      await v.page.waitForTimeout(150);
      await v.expectInert(`/runs?tag=${h}`);
    }
  });

  it("the Metrics and Queues pages are inert; the Failed page shows hostile errors, stacks and payloads as text", async () => {
    for (const where of ["/run-metrics", "/queues"]) {
      await v.visit(where);
      await v.expectInert(where);
    }
    await v.visit("/failed");
    const groups = await v.text("#failed-groups");
    for (const h of HOSTILE) expect(groups, `error group of ${h}`).toContain(h);
    await v.screenshot("hostile-failed");
    await v.expectInert("/failed");

    const keys = await v.page
      .locator("#failed-groups tr[data-group]")
      .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-group")!));
    const opened = new Set<string>();
    for (const key of keys) {
      await v.visit(`/failed?group=${key}`);
      const runId = await v.page.locator("#group-runs-table tr[data-run]").first().getAttribute("data-run");
      const i = seeded().runIds.indexOf(runId!);
      if (i < 0) continue; // a failed run not seeded here
      const h = HOSTILE[i]!;
      opened.add(runId!);
      expect(await v.text("#group-runs > pre.log"), `group message of ${runId}`).toBe(`Error: ${h}`);
      const row = v.page.locator(`#group-runs-table tr[data-run="${runId}"]`);
      for (const summary of await row.locator("summary").all()) await summary.click();
      const error = await row.locator("td.wrap pre.log").innerText();
      expect(error, `stack of ${runId}`).toContain(h);
      expect(error, `stack of ${runId}`).toContain("at run (hostile-task.ts:1:1)");
      expect(await row.locator("td.payload pre.json").innerText(), `payload of ${runId}`).toContain(`"note": "${asJson(h)}"`);
      await v.page.waitForTimeout(150);
      await v.expectInert(`/failed?group=${key} (opened)`);
    }
    expect([...opened].sort()).toEqual([...seeded().runIds].sort());
  });

  it("the orders list and the inventory show hostile names, e-mails, ids and SKUs as text", async () => {
    await v.visit("/orders");
    for (const [i, h] of HOSTILE.entries()) {
      const row = await v.text(`#orders-table tr[data-order="${seeded().orderIds[i]}"]`);
      expect(row, `customer name of ${seeded().orderIds[i]}`).toContain(`${h} ${h}`); // the name, then the e-mail
    }
    const ids = await v.page.locator("#orders-table tbody tr td:first-child a").allInnerTexts();
    for (const h of HOSTILE) expect(ids, "order ids").toContain(h);
    await v.screenshot("hostile-orders");
    await v.expectInert("/orders");

    await v.visit("/inventory");
    const inventory = await v.text("#inventory-table");
    for (const h of HOSTILE) expect(inventory, "SKU and product name").toContain(`${h}\t${h}`);
    await v.expectInert("/inventory");
  });

  it("each order page shows its customer, SKUs, payment, notification and timeline as text", async () => {
    for (const [i, h] of HOSTILE.entries()) {
      const orderId = seeded().orderIds[i]!;
      await v.visit(`/orders/${orderId}`);
      const customer = await v.card("Customer");
      expect(customer, `name of ${orderId}`).toContain(`Name\n${h}`);
      expect(customer, `e-mail of ${orderId}`).toContain(`Email\n${h}`);
      expect(customer, `failure reason of ${orderId}`).toContain(`Why\n${h}`);
      expect(await v.card("Items"), `SKU of ${orderId}`).toContain(h);
      const paymentsCard = await v.text("#payments");
      expect(paymentsCard, `payment failure of ${orderId}`).toContain(`failed — ${h}`);
      expect(paymentsCard, `Stripe id of ${orderId}`).toContain(h);
      expect(await v.text("#notifications"), `mail error of ${orderId}`).toContain(`— ${h}`);
      expect(await v.text("#order-runs"), `runs of ${orderId}`).toContain(RUN_TASK);
      expect(await v.card("Timeline"), `timeline of ${orderId}`).toContain(`"note": "${asJson(h)}"`);
      if (i === 0) await v.screenshot("hostile-order");
      await v.expectInert(`/orders/${orderId}`);
    }
  });

  it("an order whose id is hostile opens from the list and shows the id as text", async () => {
    for (const h of HOSTILE) {
      await v.visit("/orders");
      await v.page
        .locator("#orders-table tbody tr td:first-child a")
        .filter({ hasText: exactly(h) })
        .first()
        .click();
      await v.page.waitForURL((url) => url.pathname.startsWith("/orders/") && url.pathname !== "/orders");
      expect(decodeURIComponent(new URL(v.page.url()).pathname)).toBe(`/orders/${h}`);
      expect(await v.text("h1"), `the order ${h}`).toContain(`Order ${h}`);
      expect(await v.page.title()).toBe(`Order ${h} · local Trigger.dev`);
      await v.page.waitForTimeout(150);
      await v.expectInert(`/orders/${h}`);
    }
  });

  it("caught mail: the list, the order's mail link, and each message show subject, addresses and parts inertly", async () => {
    await v.visit("/mail");
    const list = await v.text("#mail-table");
    for (const h of HOSTILE) expect(list, "subject in the mail list").toContain(h);
    await v.expectInert("/mail");

    // The order page's link to its mail, by Message-ID.
    await v.visit(`/orders/${seeded().orderIds[0]}`);
    await v.page.click("#notifications a:text('mail')");
    await v.page.waitForURL(/\/mail\?messageId=/);
    expect(await v.page.locator("#mail-table tbody tr").count()).toBe(1);
    await v.expectInert("/mail?messageId=…");

    for (const [i, h] of HOSTILE.entries()) {
      // notify()'s confirmation: the customer's name in To and in both parts, the SKU in both parts.
      await v.visit(`/mail/${seeded().confirmationMailIds[i]}`);
      const facts = await v.text("dl.facts");
      expect(facts, `To of the confirmation of ${seeded().orderIds[i]}`).toContain(`hostile-${i}@example.com`);
      expect(await v.card("Text"), `text part of the confirmation ${i}`).toContain(`Hello ${h},`);
      const frame = v.page.frameLocator("iframe.mail");
      await expect.poll(() => frame.locator("body").innerText(), { timeout: 10_000 }).toContain(`Hello ${h},`);
      expect(await frame.locator("body").innerText(), `HTML part of the confirmation ${i}`).toContain(h); // the SKU line
      expect(await v.page.locator("iframe.mail").getAttribute("sandbox")).toBe("");
      await v.page.waitForTimeout(150);
      await v.expectInert(`/mail/${seeded().confirmationMailIds[i]}`);

      // The hostile message: its subject is the page's heading and title, its sender's name and header shown.
      const id = seeded().rawMailIds[i]!;
      await v.visit(`/mail/${id}`);
      expect(await v.text("h1"), `subject of mail ${id}`).toBe(h);
      expect(await v.page.title(), `title of mail ${id}`).toBe(`${h} · local Trigger.dev`);
      // The sender's name as the mail parser quotes it ("…" with its quotes escaped).
      expect((await v.text("dl.facts")).replaceAll('\\"', '"'), `From of mail ${id}`).toContain(`"${h}" <shop@example.com>`);
      expect(await v.card("Text"), `text part of mail ${id}`).toContain(h);
      expect(await v.card("Headers"), `headers of mail ${id}`).toContain(`"x-note": "${asJson(h)}"`);
      // The HTML part is HTML by design: in its frame it neither runs script nor loads the remote image.
      const src = await v.page.locator("iframe.mail").getAttribute("src");
      await expect.poll(() => v.page.frames().some((f) => f.url().endsWith(src ?? "?")), { timeout: 10_000 }).toBe(true);
      const html = await fetch(`${origin()}${src}`, { headers: { cookie: await sessionCookie(v.page) } });
      expect(html.headers.get("content-security-policy"), "the HTML part's own sandbox CSP").toMatch(/^sandbox;/);
      if (i === 0) await v.screenshot("hostile-mail");
      await v.page.waitForTimeout(300);
      await v.expectInert(`/mail/${id}`);

      // Opened on its own (a new tab, no iframe sandbox), the HTML part still runs nothing: its CSP is a sandbox.
      // (With the CSP bypassed it is the mail's own HTML, scripts and all: nothing to assert there.)
      if (!bypassCSP) {
        const part = await v.page.goto(`${origin()}${src}`);
        expect(part?.headers()["content-security-policy"], `CSP of ${src}`).toMatch(/^sandbox;.*default-src 'none'/);
        await v.page.waitForTimeout(300);
        expect(await v.page.evaluate<string>("typeof window.__pwned"), `${src} opened on its own`).toBe("undefined");
        await v.expectNothingRanOrLeft(`${src} opened on its own`);
      }
    }
  });

  it("values the URL carries back (flash, filters, 404 pages) are shown as text", async () => {
    for (const h of HOSTILE) {
      const q = encodeURIComponent(h);
      await v.visit(`/runs?flash=${q}&kind=error`);
      expect(await v.text(".flash.error"), "flash").toBe(h);
      await v.expectInert(`/runs?flash=${h}`);

      const unknownTag = `${h} (no such tag)`;
      await v.visit(`/runs?tag=${encodeURIComponent(unknownTag)}&from=${q}&to=${q}`);
      expect(await v.page.locator("input[name=tag]").inputValue(), "tag filter").toBe(unknownTag);
      expect(await v.text("#runs-table"), "no runs for the hostile filter").toContain("No runs match.");
      await v.expectInert(`/runs?tag=${unknownTag}`);

      await v.visit(`/runs/${q}`, 404);
      expect(await v.text("main"), "run not found").toContain(`No run ${h}`);
      await v.expectInert(`/runs/${h}`);

      await v.visit(`/orders/${q}x`, 404);
      expect(await v.text("main"), "order not found").toContain(`No order ${h}x.`);
      await v.expectInert(`/orders/${h}x`);

      await v.visit(`/projects/v3/${q}/runs`, 404);
      expect(await v.text("main"), "project not found").toContain(`No project ${h}`);
      await v.expectInert(`/projects/v3/${h}/runs`);

      await v.visit(`/test?task=${q}`);
      await v.expectInert(`/test?task=${h}`);
    }
  });

  it("the login page puts a hostile `next` back into its form as a value, and runs nothing", async () => {
    // A context without the session: every page is the login page.
    const { context, page } = await v.open();
    try {
      for (const h of HOSTILE) {
        const response = await v.visit(`/runs?x=${encodeURIComponent(h)}`, 401, page);
        expect(response.headers()["set-cookie"]).toBeUndefined();
        const asked = new URL(page.url()); // as the browser sent it (it escapes a little more than encodeURIComponent)
        expect(await page.locator("input[name=next]").inputValue()).toBe(`${asked.pathname}${asked.search}`);
        expect(decodeURIComponent(asked.search)).toBe(`?x=${h}`);
        await v.expectInert("the login page", page);

        // A login form posted with a wrong token and a hostile `next` (as a forged form would): the page that
        // answers puts it back as the hidden field's value.
        const next = `/${h}`;
        await page.evaluate(`document.querySelector("input[name=next]").setAttribute("value", ${JSON.stringify(next)})`);
        await page.fill("input[name=token]", "not-the-token");
        const [answer] = await Promise.all([page.waitForResponse((r) => r.url().endsWith("/login")), page.click("button[type=submit]")]);
        expect(answer.status()).toBe(401);
        await v.expectCsp(answer.headers(), "POST /login");
        await page.waitForLoadState("load");
        expect(await page.locator("input[name=next]").inputValue(), "next after a wrong token").toBe(next);
        expect(await page.locator(".flash.error").innerText()).toContain("not this platform's dashboard token");
        await page.waitForTimeout(150);
        await v.expectInert(`POST /login with next=${next}`, page);
      }
    } finally {
      await context.close();
    }
  });
});

/** The session cookie of `page`'s context, as a Cookie header (for fetching a page's frame source here). */
async function sessionCookie(page: Page): Promise<string> {
  const cookies = await page.context().cookies(origin());
  return cookies.map((c) => `${c.name}=${c.value}`).join("; ");
}
