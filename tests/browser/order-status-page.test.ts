// The page a shopper watches their order on (GET /orders/:id/status), in Chromium against `npm start`'s
// whole stack: order.created answers with the page's link; the page follows the order's workflow run over
// the platform's realtime feed with the link's public token, from another origin than the platform's, and
// shows each step as it happens, with no reload. A declined card shows where it stopped; a bad or missing
// token says so; the page reaches no origin but the app's and the platform's.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { ORDER_ENDINGS } from "../../src/orders/order-progress";
import { useBrowser } from "../support/browser";
import { useOrderStack } from "../support/order-stack";

const h = useOrderStack({ ORDER_REMINDER_DELAY: "1h" });
const browser = useBrowser();

type Accepted = { orderId: string; runId: string; publicAccessToken: string; statusUrl: string };

async function orderCreated(id: string, lines: Array<{ sku: string; quantity: number }>, paymentMethod: string): Promise<Accepted> {
  const answer = await fetch(`${h.s.appUrl}/api/events/order.created`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${h.s.appApiToken}` },
    body: JSON.stringify({ id, customer: { email: `${id}@example.com` }, lines, currency: "usd", paymentMethod }),
  });
  expect(answer.status).toBe(202);
  return (await answer.json()) as Accepted;
}

/** Opens the page, recording every text #outcome shows and every step state, and every origin it reaches. */
async function watch(url: string) {
  const page = await browser.page();
  const origins = new Set<string>();
  page.on("request", (request) => origins.add(new URL(request.url()).origin));
  let navigations = 0;
  page.on("framenavigated", (frame) => {
    if (frame === page.mainFrame()) navigations++;
  });
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __seen: string[] }).__seen = seen;
    new MutationObserver(() => {
      const outcome = document.querySelector("#outcome")?.textContent ?? "";
      const current = Array.from(document.querySelectorAll<HTMLElement>("li[data-step]"))
        .map((li) => `${li.dataset.step}=${li.dataset.state}`)
        .join(",");
      const entry = `${outcome} | ${current}`;
      if (seen.at(-1) !== entry) seen.push(entry);
    }).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  });
  await page.goto(url);
  return {
    page,
    origins,
    navigations: () => navigations,
    seen: () => page.evaluate(() => (window as unknown as { __seen: string[] }).__seen),
  };
}

const outcomeOf = (page: Page) => page.locator("#outcome").textContent();
const stateOf = (page: Page, step: string) => page.locator(`li[data-step="${step}"]`).getAttribute("data-state");

describe("the shopper's order page (Chromium)", () => {
  it("order.created answers with the page's link; the page follows the order live to confirmed, through the bank's wait", async () => {
    const id = `status-${Date.now().toString(36)}`;
    const accepted = await orderCreated(id, [{ sku: "POSTER-A2", quantity: 1 }], "pm_stand_in_processing");
    expect(accepted.statusUrl).toBe(
      `${h.s.appUrl}/orders/${id}/status#${new URLSearchParams({ run: accepted.runId, token: accepted.publicAccessToken })}`,
    );
    const watched = await watch(accepted.statusUrl);
    await expect.poll(() => outcomeOf(watched.page), { timeout: 60_000, interval: 200 }).toMatch(/Your order is confirmed/);
    expect(watched.navigations()).toBe(1); // no reload
    for (const step of ["accepting", "reserving", "charging", "waiting for the bank", "committing stock", "confirming", "completed"])
      expect(await stateOf(watched.page, step), step).toBe("done");
    // It was seen going through the steps, in their order, while the run went on.
    const seen = await watched.seen();
    const currents = seen.map((entry) => /([a-z ]+)=current/.exec(entry)?.[1]).filter((s, i, all): s is string => !!s && s !== all[i - 1]);
    expect(currents).toContain("waiting for the bank");
    const order = ["accepting", "reserving", "charging", "waiting for the bank", "committing stock", "confirming"];
    expect(currents.map((s) => order.indexOf(s))).toEqual([...currents.map((s) => order.indexOf(s))].sort((a, b) => a - b));
    // It talked to the app (the page) and the platform (the feed), nothing else.
    expect([...watched.origins].sort()).toEqual([h.s.appUrl, h.s.platform()!.url].sort());
    await browser.screenshot(watched.page, "order-status-confirmed");
  }, 90_000);

  it("a declined card: the page shows the charge stopped and says the order was not placed", async () => {
    const id = `status-declined-${Date.now().toString(36)}`;
    const accepted = await orderCreated(id, [{ sku: "STICKER-PACK", quantity: 1 }], "pm_card_chargeDeclined");
    const watched = await watch(accepted.statusUrl);
    await expect.poll(() => outcomeOf(watched.page), { timeout: 60_000, interval: 200 }).toBe(ORDER_ENDINGS.not_charged);
    expect(await stateOf(watched.page, "charging")).toBe("stopped");
    expect(await stateOf(watched.page, "confirming")).toBe("skipped");
    expect(await stateOf(watched.page, "reserving")).toBe("done");
    await browser.screenshot(watched.page, "order-status-declined");
  }, 90_000);

  it("a link without its token, or with a forged one, says it cannot follow the order", async () => {
    const id = `status-forged-${Date.now().toString(36)}`;
    const accepted = await orderCreated(id, [{ sku: "STICKER-PACK", quantity: 1 }], "pm_card_visa");
    const bare = await watch(`${h.s.appUrl}/orders/${id}/status`);
    await expect.poll(() => outcomeOf(bare.page)).toMatch(/This link is incomplete/);
    const [header, payload] = accepted.publicAccessToken.split(".");
    const forged = accepted.statusUrl.replace(accepted.publicAccessToken, `${header}.${payload}.forgedsignature`);
    const watched = await watch(forged);
    await expect.poll(() => outcomeOf(watched.page), { timeout: 20_000 }).toMatch(/cannot follow your order/);
    expect(await stateOf(watched.page, "accepting")).toBe("pending");
  }, 60_000);
});
