import { and, eq, sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { caughtMessages } from "local-stand-ins/schema";
import { notifications, orderEvents } from "../../db/schema";
import { startMailCatcher, type MailCatcher } from "local-stand-ins/smtp";
import { MailRetryableError } from "../../src/mail/mail-errors";
import { createMailTransport, type MailTransport } from "../../src/mail/mail-transport";
import { messageIdFor, notify } from "../../src/mail/notify";
import { checkInvariants } from "../../src/orders/check-invariants";
import { placeOrder, stock } from "../support/orders";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

let t: TestDatabase;
let catcher: MailCatcher;
let transport: MailTransport;
const FROM = '"Order desk" <orders@shop.localhost>';

beforeAll(async () => {
  t = await createTestDatabase();
  catcher = await startMailCatcher({ databaseUrl: t.url, port: 0 });
  transport = createMailTransport(catcher.url);
  await stock(t.db, { "MAIL-A": 100 }, 2500);
});
afterEach(() => catcher.refusals.clear());
afterAll(async () => {
  transport.close();
  await catcher.close();
  await t.close();
});

const caught = (orderId: string) =>
  t.db
    .select()
    .from(caughtMessages)
    .where(eq(caughtMessages.messageId, messageIdFor(orderId, "confirmation")));
const row = async (orderId: string) => (await t.db.select().from(notifications).where(eq(notifications.orderId, orderId)))[0];

describe("notify", () => {
  it("a sender that died mid-send (its claim lapsed after SMTP took the mail): resent under the same Message-ID and recorded; only an unrecorded duplicate breaks invariant 4", async () => {
    await placeOrder(t.db, "mail-lapsed", { "MAIL-A": 1 });
    await notify(t.db, "mail-lapsed", "confirmation", { transport, from: FROM });
    // As if the sender had died after SMTP accepted the message, before it could mark the row sent.
    await t.db
      .update(notifications)
      .set({ status: "sending", claimedUntil: sql`now() - interval '1 second'` })
      .where(eq(notifications.orderId, "mail-lapsed"));
    expect((await notify(t.db, "mail-lapsed", "confirmation", { transport, from: FROM })).outcome).toBe("sent");
    expect(await caught("mail-lapsed")).toHaveLength(2);
    const resent = await t.db
      .select()
      .from(orderEvents)
      .where(and(eq(orderEvents.orderId, "mail-lapsed"), eq(orderEvents.type, "mail.confirmation.resent")));
    expect(resent).toHaveLength(1);
    expect((await checkInvariants(t.db)).filter((v) => v.includes("mail-lapsed"))).toEqual([]);

    await t.db.delete(orderEvents).where(eq(orderEvents.id, resent[0]!.id));
    expect((await checkInvariants(t.db)).filter((v) => v.includes("mail-lapsed"))).toEqual([
      expect.stringMatching(/message <mail-lapsed\.confirmation@orders\.shop\.localhost> was delivered 2 times \(0 resend/),
    ]);
    await t.db.delete(caughtMessages).where(eq(caughtMessages.messageId, messageIdFor("mail-lapsed", "confirmation")));
  });

  it("sends a confirmation with text, HTML and a deterministic Message-ID", async () => {
    await placeOrder(t.db, "mail-1", { "MAIL-A": 2 }, { customer: { email: "ada@example.com", name: "Ada" } });
    const result = await notify(t.db, "mail-1", "confirmation", { transport, from: FROM });
    expect(result.outcome).toBe("sent");
    const [message] = await caught("mail-1");
    expect(message).toMatchObject({
      subject: "Order mail-1 confirmed",
      messageId: "<mail-1.confirmation@orders.shop.localhost>",
      envelopeTo: ["ada@example.com"],
    });
    expect(message!.text).toContain("Total: $50.00");
    expect(message!.html).toContain("<strong>$50.00</strong>");
    expect(message!.headers["x-order-id"]).toBe("mail-1");
    expect(await row("mail-1")).toMatchObject({ status: "sent", attempts: 1, recipient: "ada@example.com" });
  });

  it("20 concurrent calls send one message", async () => {
    await placeOrder(t.db, "mail-2", { "MAIL-A": 1 });
    const results = await Promise.all(Array.from({ length: 20 }, () => notify(t.db, "mail-2", "confirmation", { transport, from: FROM })));
    expect(results.filter((r) => r.outcome === "sent")).toHaveLength(1);
    expect(results.every((r) => (r.outcome !== "sent" ? ["in_flight", "already_sent"].includes(r.outcome) : true))).toBe(true);
    expect(await caught("mail-2")).toHaveLength(1);
    expect((await notify(t.db, "mail-2", "confirmation", { transport, from: FROM })).outcome).toBe("already_sent");
    expect(await caught("mail-2")).toHaveLength(1);
  });

  it("while SMTP refuses: a retryable error and nothing marked sent; afterwards exactly one message", async () => {
    await placeOrder(t.db, "mail-3", { "MAIL-A": 1 });
    catcher.refusals.refuseNext(2);
    for (let i = 0; i < 2; i++) {
      const error = await notify(t.db, "mail-3", "confirmation", { transport, from: FROM }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MailRetryableError);
      expect((error as Error).message).toMatch(/451/);
      expect(await row("mail-3")).toMatchObject({ status: "failed" });
    }
    expect(await caught("mail-3")).toHaveLength(0);
    expect((await notify(t.db, "mail-3", "confirmation", { transport, from: FROM })).outcome).toBe("sent");
    expect(await row("mail-3")).toMatchObject({ status: "sent", attempts: 3, lastError: null });
    expect(await caught("mail-3")).toHaveLength(1);
  });

  it("refuses for a while, then accepts", async () => {
    await placeOrder(t.db, "mail-8", { "MAIL-A": 1 });
    catcher.refusals.refuseFor(300);
    await expect(notify(t.db, "mail-8", "confirmation", { transport, from: FROM })).rejects.toBeInstanceOf(MailRetryableError);
    await new Promise((r) => setTimeout(r, 350));
    expect((await notify(t.db, "mail-8", "confirmation", { transport, from: FROM })).outcome).toBe("sent");
  });

  it("a dead SMTP server is a retryable error", async () => {
    await placeOrder(t.db, "mail-4", { "MAIL-A": 1 });
    const dead = createMailTransport("smtp://127.0.0.1:1");
    await expect(notify(t.db, "mail-4", "confirmation", { transport: dead, from: FROM })).rejects.toBeInstanceOf(MailRetryableError);
    expect(await row("mail-4")).toMatchObject({ status: "failed" });
  });

  it("a sender that died mid-send is replaced once its claim lapses", async () => {
    await placeOrder(t.db, "mail-5", { "MAIL-A": 1 });
    await t.db.insert(notifications).values({
      orderId: "mail-5",
      kind: "confirmation",
      status: "sending",
      messageId: messageIdFor("mail-5", "confirmation"),
      recipient: "x@example.com",
      claimedUntil: new Date(Date.now() + 60_000),
    });
    expect((await notify(t.db, "mail-5", "confirmation", { transport, from: FROM })).outcome).toBe("in_flight");
    await t.db
      .update(notifications)
      .set({ claimedUntil: new Date(Date.now() - 1) })
      .where(eq(notifications.orderId, "mail-5"));
    expect((await notify(t.db, "mail-5", "confirmation", { transport, from: FROM })).outcome).toBe("sent");
  });

  it("escapes a hostile customer name in the HTML", async () => {
    await placeOrder(t.db, "mail-6", { "MAIL-A": 1 }, { customer: { email: "eve@example.com", name: '<script>alert("x")</script>' } });
    await notify(t.db, "mail-6", "out_of_stock", { transport, from: FROM });
    const [message] = await t.db
      .select()
      .from(caughtMessages)
      .where(eq(caughtMessages.messageId, messageIdFor("mail-6", "out_of_stock")));
    expect(message!.html).not.toContain("<script>");
    expect(message!.html).toContain("&lt;script&gt;");
    expect(await checkInvariants(t.db)).toEqual([]);
  });

  it("each kind is its own notification", async () => {
    await placeOrder(t.db, "mail-7", { "MAIL-A": 1 });
    for (const kind of ["confirmation", "reminder", "cancelled"] as const) {
      expect((await notify(t.db, "mail-7", kind, { transport, from: FROM })).outcome).toBe("sent");
    }
    const kinds = (await t.db.select().from(notifications).where(eq(notifications.orderId, "mail-7"))).map((n) => n.kind).sort();
    expect(kinds).toEqual(["cancelled", "confirmation", "reminder"]);
  });
});
