// The e-mail channel of the alerts (issue 15): a run that ended badly is mailed to ALERT_EMAIL through a real
// SMTP server (smtp-server, parsed by mailparser) once, with its task, run, status, error, attempts and run
// page; retried with backoff while the relay refuses; never sent twice, also when the webhook channel beside
// it keeps failing; hostile error text arrives as text, in a mail with no HTML part.
import http from "node:http";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emailChannel } from "../../lib/engine/alert-email";
import { runAlert } from "../../lib/engine/alert-payload";
import { alertDeliveriesOf } from "../../lib/engine/alerts";
import { internalId } from "../../lib/ids";
import { useEngine } from "./engine-harness";

const OPERATORS = ["ops@example.com", "oncall@example.com"];
const FROM = '"Trigger.dev alerts" <alerts@example.com>';
const HOSTILE = `<script>alert("x")</script><img src=x onerror=alert(1)>\r\nBcc: victim@example.com`;

type Caught = { envelopeTo: string[]; mail: ParsedMail };
const caught: Caught[] = [];
let refuseNext = 0;
/** Refusals as a relay's final word (550) instead of "try again later" (451). */
let refusePermanently = false;
/** Connections the relay has accepted. */
let connections = 0;
let smtp: SMTPServer;
let smtpUrl = "";

let webhookFailures = 0;
let webhookCalls = 0;
let receiver: http.Server;
let webhookUrl = "";

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: false,
    allowInsecureAuth: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onConnect: (_session, callback) => {
      connections++;
      callback();
    },
    onAuth: (auth, _session, callback) =>
      auth.username === "relay" && auth.password === "s3cret"
        ? callback(null, { user: "relay" })
        : callback(Object.assign(new Error("Invalid login"), { responseCode: 535 })),
    onMailFrom: (_address, _session, callback) =>
      refuseNext-- <= 0
        ? callback()
        : callback(
            refusePermanently
              ? Object.assign(new Error("Sender refused for good"), { responseCode: 550 })
              : Object.assign(new Error("Mailbox busy, try again later"), { responseCode: 451 }),
          ),
    onData: (stream, session, callback) => {
      simpleParser(stream)
        .then((mail) => {
          caught.push({ envelopeTo: session.envelope.rcptTo.map((r) => r.address), mail });
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
  smtpUrl = `smtp://relay:s3cret@127.0.0.1:${(smtp.server.address() as { port: number }).port}`;

  receiver = http.createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      webhookCalls++;
      response.statusCode = webhookFailures-- > 0 ? 500 : 200;
      response.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  webhookUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/alerts`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

const h = useEngine([{ id: "fragile", retry: { maxAttempts: 2 } }], {
  alertEmail: {
    to: OPERATORS,
    from: FROM,
    get smtpUrl() {
      return smtpUrl; // known once the server listens
    },
  },
  alertWebhooks: [
    {
      get url() {
        return webhookUrl;
      },
      secret: "alert-secret-for-the-tests",
    },
  ],
});

const mailsOf = (runId: string) => caught.filter((c) => c.mail.headers.get("x-trigger-run-id") === runId);
const deliveries = async (runId: string) =>
  Object.fromEntries((await alertDeliveriesOf(h().db, internalId(runId))).map((d) => [d.channel.split(":")[0], d]));

describe("alert e-mails", () => {
  it("a run that failed its last attempt is mailed once, after the relay's refusals, with what an operator needs", async () => {
    refuseNext = 2;
    webhookFailures = 0;
    const { run } = await h().trigger("fragile");
    await h().startNext(run.friendlyId);
    await h().fail(run.friendlyId, 0); // a retry: not alerted
    await h().startNext(run.friendlyId);
    await h().complete(run.friendlyId, {
      ok: false,
      id: run.friendlyId,
      error: { type: "BUILT_IN_ERROR", name: "Error", message: HOSTILE, stackTrace: "at charge (jobs/charge.ts:3:9)" },
    });
    await expect.poll(async () => (await deliveries(run.friendlyId)).email?.status, { timeout: 15_000, interval: 200 }).toBe("delivered");

    const mails = mailsOf(run.friendlyId);
    expect(mails).toHaveLength(1);
    const [{ mail, envelopeTo }] = mails as [Caught];
    expect(envelopeTo.sort()).toEqual([...OPERATORS].sort());
    expect(mail.from?.text).toBe(`"Trigger.dev alerts" <alerts@example.com>`);
    expect(mail.subject).toBe(`[Trigger.dev] fragile: run ${run.friendlyId} FAILED`);
    expect(mail.html).toBe(false); // text only: nothing in it is markup to a mail client
    const text = mail.text ?? "";
    expect(text).toContain("Task:     fragile");
    expect(text).toContain(`Run:      ${run.friendlyId}`);
    expect(text).toContain("Status:   FAILED");
    expect(text).toContain("Attempts: 2");
    expect(text).toContain(`Run page: http://engine.test/projects/v3/${h().env.projectRef}/runs/${run.friendlyId}`);
    expect(text).toContain(`Error: <script>alert("x")</script><img src=x onerror=alert(1)>`);
    expect(text).toContain("at charge (jobs/charge.ts:3:9)");
    // The error's "Bcc:" line is body text, not a header: nobody else got the mail.
    expect(mail.headers.has("bcc")).toBe(false);
    expect(mail.messageId).toMatch(/^<alert_[0-9a-f]+@alerts\.local-trigger\.localhost>$/);

    const { email, webhook } = await deliveries(run.friendlyId);
    expect(email).toMatchObject({ status: "delivered", attempts: 3, lastError: null });
    expect(webhook).toMatchObject({ status: "delivered", attempts: 1 });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(mailsOf(run.friendlyId)).toHaveLength(1);
  }, 30_000);

  it("each channel is its own delivery: a failing webhook is retried without mailing again", async () => {
    refuseNext = 0;
    webhookFailures = 3;
    const callsBefore = webhookCalls;
    const { run } = await h().trigger("fragile");
    await h().startNext(run.friendlyId);
    await h().fail(run.friendlyId);
    await expect.poll(async () => (await deliveries(run.friendlyId)).webhook?.status, { timeout: 20_000, interval: 200 }).toBe("delivered");
    expect(webhookCalls - callsBefore).toBe(4);
    expect(mailsOf(run.friendlyId)).toHaveLength(1);
    expect((await deliveries(run.friendlyId)).email).toMatchObject({ status: "delivered", attempts: 1 });
  }, 30_000);

  it("a relay's permanent refusal (5xx) gives the delivery up with its reason; a run that succeeded is not mailed", async () => {
    webhookFailures = 0;
    refuseNext = 1;
    refusePermanently = true;
    const { run } = await h().trigger("fragile");
    await h().startNext(run.friendlyId);
    await h().fail(run.friendlyId);
    await expect.poll(async () => (await deliveries(run.friendlyId)).email?.status, { timeout: 15_000, interval: 200 }).toBe("failed");
    expect((await deliveries(run.friendlyId)).email).toMatchObject({
      attempts: 1,
      lastError: expect.stringMatching(/550 Sender refused for good/),
    });
    refusePermanently = false;
    await new Promise((r) => setTimeout(r, 1_500));
    expect(mailsOf(run.friendlyId)).toEqual([]);

    const { run: ok } = await h().trigger("fragile");
    await h().startNext(ok.friendlyId);
    await h().succeed(ok.friendlyId);
    await new Promise((r) => setTimeout(r, 500));
    expect(mailsOf(ok.friendlyId)).toEqual([]);
    expect(await alertDeliveriesOf(h().db, internalId(ok.friendlyId))).toEqual([]);
  }, 30_000);

  it("a channel's mails share a small pool of connections; a refused login (535) is retried, not given up", async () => {
    refuseNext = 0;
    const { run } = await h().trigger("fragile");
    await h().startNext(run.friendlyId);
    await h().fail(run.friendlyId);
    await expect.poll(async () => (await deliveries(run.friendlyId)).email?.status, { timeout: 15_000, interval: 200 }).toBe("delivered");
    const alert = await runAlert(h().engine.context, (await deliveries(run.friendlyId)).email!);

    const channel = emailChannel({ to: OPERATORS, from: FROM, smtpUrl });
    const before = connections;
    await Promise.all(Array.from({ length: 6 }, () => channel.send(alert)));
    channel.close?.();
    expect(mailsOf(run.friendlyId)).toHaveLength(7);
    expect(connections - before).toBeGreaterThanOrEqual(1);
    expect(connections - before).toBeLessThanOrEqual(2);

    const locked = emailChannel({ to: OPERATORS, from: FROM, smtpUrl: smtpUrl.replace("s3cret", "wrong") });
    const refused = await locked.send(alert).then(
      () => undefined,
      (error: unknown) => error as Error & { permanent?: boolean },
    );
    locked.close?.();
    expect(refused?.message).toMatch(/535 Invalid login/);
    expect(refused?.permanent).toBe(false);
  }, 30_000);
});
