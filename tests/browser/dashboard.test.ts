// The dashboard in Chromium, against `npm start`'s whole stack (real CLI, real platform, real Postgres):
// an order triggered from the Test page and followed to COMPLETED, its logs and child runs, cancelling a
// delayed reminder, replay, resetting an idempotency key, filtering by tag, the business pages, a hostile
// payload rendered inert, an action's error shown on the page, and a phone-width layout. Each page is
// saved as a screenshot under test-output/screenshots/.
import { eq, sql } from "drizzle-orm";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { runs } from "local-trigger/schema";
import { inventory } from "../../db/schema";
import { internalId } from "local-trigger";
import { useBrowser } from "../support/browser";
import { useOrderStack } from "../support/order-stack";

// Reminders an hour out stay DELAYED while the tests look at them.
const h = useOrderStack({ ORDER_REMINDER_DELAY: "1h" });
const browser = useBrowser({ loginUrl: () => h.s.platform()!.loginUrl });
const dashboard = () => h.s.platform()!.url;

const badgeOf = (page: Page) => page.locator("h1 .badge").first().textContent();
const runIdOf = (page: Page) => new URL(page.url()).pathname.split("/").pop()!;

/** Triggered from the Test page in the first test; the later ones look at what it left. */
const fromTestPage: { orderId?: string; runId?: string } = {};

describe("dashboard (Chromium)", () => {
  it("an order triggered from the Test page runs to COMPLETED on its run page, with its logs and child runs", async () => {
    const page = await browser.page();
    await page.goto(`${dashboard()}/test?task=process-order`);
    const template = JSON.parse(await page.locator("#payload").inputValue()) as { id: string };
    expect(template.id).toMatch(/^ord-test-/);
    fromTestPage.orderId = template.id;
    await page.fill("input[name=tags]", `order:${template.id}`);
    await page.fill("input[name=idempotencyKey]", `browser-${template.id}`);
    await browser.screenshot(page, "test-page");
    await page.click("button[type=submit]");
    await page.waitForURL(/\/runs\/run_/);
    fromTestPage.runId = runIdOf(page);
    expect(await page.locator(".flash").textContent()).toContain("Test run triggered");

    // No reload from here: the page follows the run live.
    await expect.poll(() => badgeOf(page), { timeout: 60_000, interval: 250 }).toBe("COMPLETED");
    const trace = await page.locator("#trace").textContent();
    expect(trace).toContain("order accepted");
    const tree = await page.locator(".tree").first().textContent();
    for (const child of ["reserve-inventory", "charge-payment", "send-notification", "order-reminder"]) expect(tree).toContain(child);
    expect(await page.locator("main").textContent()).toContain(`"status": "completed"`);
    await browser.screenshot(page, "run-completed");
  }, 90_000);

  it("cancels the order's delayed reminder from its run page", async () => {
    const page = await browser.page();
    await page.goto(`${dashboard()}/runs/${fromTestPage.runId}`);
    await page.click(".tree a:text('order-reminder')");
    await page.waitForURL(/\/runs\/run_/);
    expect(await badgeOf(page)).toBe("DELAYED");
    const reminderId = runIdOf(page);
    await page.click("button:text('Cancel run')"); // the confirm() is accepted
    await page.waitForSelector(".flash.ok");
    expect(await page.locator(".flash").textContent()).toBe("Run cancelled");
    expect(await badgeOf(page)).toBe("CANCELED");
    const [row] = await h.s.db
      .select()
      .from(runs)
      .where(eq(runs.id, internalId(reminderId)));
    expect(row!.status).toBe("CANCELED");
    await browser.screenshot(page, "run-cancelled-reminder");
  }, 60_000);

  it("reschedules a delayed reminder, and fires a schedule now", async () => {
    const event = h.orderEvent({ "STICKER-PACK": 1 });
    expect((await h.post("order.created", event)).status).toBe(202);
    const page = await browser.page();
    await page.goto(`${dashboard()}/runs?tag=order:${event.id}&task=order-reminder`);
    await expect
      .poll(async () => (await page.reload(), await page.locator("#runs-table tbody a[href^='/runs/run_']").count()), {
        timeout: 60_000,
        interval: 500,
      })
      .toBe(1);
    await page.click("#runs-table tbody a[href^='/runs/run_']");
    await page.waitForURL(/\/runs\/run_/);
    expect(await badgeOf(page)).toBe("DELAYED");
    const [before] = await h.s.db
      .select()
      .from(runs)
      .where(eq(runs.id, internalId(runIdOf(page))));
    await page.fill("input[name=delay]", "2h");
    await page.click("button:text('Reschedule')");
    await page.waitForSelector(".flash.ok");
    expect(await page.locator(".flash").textContent()).toBe("Rescheduled (2h)");
    const [after] = await h.s.db
      .select()
      .from(runs)
      .where(eq(runs.id, internalId(runIdOf(page))));
    expect(after!.delayUntil!.getTime() - before!.delayUntil!.getTime()).toBeGreaterThan(50 * 60_000); // 1h → 2h from now
    await browser.screenshot(page, "run-rescheduled");

    await page.goto(`${dashboard()}/schedules`);
    await page.click("[data-schedule] button:text('Fire now')");
    await page.waitForURL(/\/runs\/run_/);
    expect(await page.locator(".flash").textContent()).toBe("Schedule fired now");
    expect(await page.locator("h1").textContent()).toContain("reconcile-orders");
  }, 90_000);

  it("replays a run with its payload and lands on the new run", async () => {
    const page = await browser.page();
    await page.goto(`${dashboard()}/runs/${fromTestPage.runId}`);
    await page.click("summary:text('Replay…')");
    const payload = JSON.parse(await page.locator("textarea[name=payload]").inputValue()) as { id: string };
    expect(payload.id).toBe(fromTestPage.orderId);
    await page.click("button:text('Replay with this payload')");
    await page.waitForURL((url) => url.pathname.startsWith("/runs/run_") && !url.pathname.endsWith(fromTestPage.runId!));
    expect(await page.locator(".flash").textContent()).toBe(`Replay of ${fromTestPage.runId}`);
    expect(await page.locator("main").textContent()).toContain(`Replay of`);
    // The same order again: its steps are keyed by order, so the replay finds them done and completes.
    await expect.poll(() => badgeOf(page), { timeout: 60_000, interval: 250 }).toBe("COMPLETED");
  }, 90_000);

  it("resets the run's idempotency key, freeing it for a new run", async () => {
    const page = await browser.page();
    await page.goto(`${dashboard()}/runs/${fromTestPage.runId}`);
    expect(await page.locator("#idempotency").textContent()).toContain(`browser-${fromTestPage.orderId}`);
    await page.click("button:text('Reset key')");
    await page.waitForSelector(".flash.ok");
    expect(await page.locator(".flash").textContent()).toContain("Idempotency key reset");
    expect(await page.locator("#idempotency").textContent()).toContain("released");
    const [row] = await h.s.db
      .select()
      .from(runs)
      .where(eq(runs.id, internalId(fromTestPage.runId!)));
    expect(row!.idempotencyKey).toBeNull();
    await browser.screenshot(page, "run-key-reset");
  });

  it("filters runs by tag", async () => {
    const page = await browser.page();
    await page.goto(`${dashboard()}/runs`);
    await page.fill("input[name=tag]", `order:${fromTestPage.orderId}`);
    await page.click("form.filters button[type=submit]");
    await page.waitForURL(/tag=order/);
    const rows = page.locator("#runs-table tbody tr");
    const tags = await rows.evaluateAll((trs) => trs.map((tr) => tr.querySelector("td:nth-child(4)")?.textContent ?? ""));
    expect(tags.length).toBeGreaterThanOrEqual(5); // the workflow, its four children, the replay
    for (const t of tags) expect(t).toContain(`order:${fromTestPage.orderId}`);
    await browser.screenshot(page, "runs-filtered-by-tag");
    await page.goto(`${dashboard()}/runs`);
    await browser.screenshot(page, "runs");
  });

  it("shows the order, its payment and its mail on their pages", async () => {
    const page = await browser.page();
    await page.goto(`${dashboard()}/orders`);
    await browser.screenshot(page, "orders");
    await page.click(`a:text('${fromTestPage.orderId}')`);
    await page.waitForURL(/\/orders\//);
    expect(await page.locator("h1").textContent()).toContain("completed");
    const payments = await page.locator("#payments").textContent();
    expect(payments).toContain("charge");
    expect(payments).toContain("succeeded");
    expect(payments).toMatch(/pi_/);
    expect(await page.locator("#notifications").textContent()).toContain("confirmation: sent");
    expect(await page.locator("#order-runs").textContent()).toContain("process-order");
    await browser.screenshot(page, "order");

    await page.click("#notifications a:text('mail')");
    await page.waitForURL(/\/mail\?messageId=/);
    await page.click("#mail-table a");
    await page.waitForURL(/\/mail\/\d+$/);
    expect(await page.locator("h1").textContent()).toBe(`Order ${fromTestPage.orderId} confirmed`);
    expect(await page.locator("iframe.mail").getAttribute("sandbox")).toBe("");
    const mailFrame = page.frameLocator("iframe.mail");
    await expect.poll(() => mailFrame.locator("body").textContent(), { timeout: 10_000 }).toContain("Thank you for your order");
    await browser.screenshot(page, "mail");

    // A SKU down to its last 2 units is marked low; one with plenty is not.
    await h.s.db
      .update(inventory)
      .set({ onHand: sql`${inventory.reserved} + 2` })
      .where(eq(inventory.sku, "LIMITED-PRINT"));
    await page.goto(`${dashboard()}/inventory`);
    expect(await page.locator("#inventory-table tr[data-sku='LIMITED-PRINT'] .low").textContent()).toBe("2 (low)");
    expect(await page.locator("#inventory-table tr[data-sku='MUG-LOGO'] .low").count()).toBe(0);
    await browser.screenshot(page, "inventory");
    await page.goto(`${dashboard()}/schedules`);
    expect(await page.locator("main").textContent()).toContain("reconcile-orders");
    await browser.screenshot(page, "schedules");
  }, 60_000);

  it("renders a hostile payload inert: a <script> in the customer's name is text, never code", async () => {
    const hostile = `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">`;
    const event = h.orderEvent({ "MUG-LOGO": 1 });
    const event2 = { ...event, customer: { ...event.customer, name: hostile } };
    expect((await h.post("order.created", event2)).status).toBe(202);
    const page = await browser.page();
    // (Expressions as strings: they run in the page, and this project's types have no DOM.)
    const pwned = () => page.evaluate("window.__pwned");
    await page.goto(`${dashboard()}/orders/${event.id}`);
    await expect
      .poll(async () => (await page.locator("h1").textContent()) ?? "", { timeout: 60_000, interval: 250 })
      .toContain("completed");
    expect(await page.locator("main").textContent()).toContain(hostile);
    expect(await page.locator("main script, main img").count()).toBe(0);
    expect(await pwned()).toBeUndefined();
    await browser.screenshot(page, "order-hostile");

    await page.goto(`${dashboard()}/runs?tag=order:${event.id}&task=process-order`);
    await page.click("#runs-table tbody a[href^='/runs/run_']");
    await page.waitForURL(/\/runs\/run_/);
    expect(await page.locator("main").textContent()).toContain("<script>window.__pwned=1</script>"); // in the JSON payload
    expect(await pwned()).toBeUndefined();

    await page.goto(`${dashboard()}/mail`);
    await page.click(`#mail-table a:text('Order ${event.id} confirmed')`);
    await page.waitForURL(/\/mail\/\d+$/);
    expect(await pwned()).toBeUndefined();
    const src = await page.locator("iframe.mail").getAttribute("src");
    const csp = await fetch(`${dashboard()}${src}`, { headers: { cookie: h.s.platform()!.sessionCookie } }).then((r) =>
      r.headers.get("content-security-policy"),
    );
    expect(csp).toContain("sandbox");
    await browser.screenshot(page, "mail-hostile");
  }, 90_000);

  it("shows an action's error on the page, keeping what was typed", async () => {
    const page = await browser.page();
    await page.goto(`${dashboard()}/test?task=process-order`);
    await page.fill("#payload", "{not json");
    await page.click("button[type=submit]");
    await page.waitForSelector(".flash.error");
    expect(await page.locator(".flash.error").textContent()).toMatch(/^payload: not valid JSON/);
    expect(await page.locator("#payload").inputValue()).toBe("{not json");

    await page.goto(`${dashboard()}/test?task=process-order`);
    await page.fill("#payload", JSON.stringify({ id: "bad id!" }));
    await page.click("button[type=submit]");
    await page.waitForURL(/\/runs\/run_/);
    // The task's own schema refuses it: the run fails, and the page says why.
    await expect.poll(() => badgeOf(page), { timeout: 60_000, interval: 250 }).toBe("FAILED");
    expect(await page.locator("main").textContent()).toMatch(/id/);
    await browser.screenshot(page, "run-failed-bad-payload");

    await page.goto(`${dashboard()}/runs/run_doesnotexist`);
    expect(await page.locator("main").textContent()).toContain("No run run_doesnotexist");
  }, 90_000);

  it("is readable at a phone's width: nothing overflows the page", async () => {
    const page = await browser.page({ width: 390, height: 844 });
    for (const [path, name] of [
      ["/runs", "phone-runs"],
      [`/runs/${fromTestPage.runId}`, "phone-run"],
      [`/orders/${fromTestPage.orderId}`, "phone-order"],
    ] as const) {
      await page.goto(`${dashboard()}${path}`);
      const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
      expect(overflow, path).toBeLessThanOrEqual(1);
      await browser.screenshot(page, name);
    }
  });
});
