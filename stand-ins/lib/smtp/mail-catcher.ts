// The mail catcher: an SMTP server (smtp-server) that keeps every message it accepts in Postgres, parsed
// by mailparser, for the dashboard and the tests. It can be told to refuse mail with a temporary 451,
// for the next N messages or for a while, to exercise the workflow's retries.
import { simpleParser, type AddressObject } from "mailparser";
import { SMTPServer } from "smtp-server";
import { createDatabaseHandle } from "../db/client";
import { migrateStandIns } from "../db/migrate";
import { caughtMessages } from "../db/schema";
import { pruneCaughtMail } from "./prune-caught-mail";
import { LOCALHOST } from "local-trigger/config";
import { PortTakenError } from "local-trigger/listen";
import { randomToken, sameSecret } from "local-trigger/secrets";

export type MailCatcher = Awaited<ReturnType<typeof startMailCatcher>>;

/** When the catcher refuses mail: the next `count` messages, and/or until `until` (epoch ms). */
export class MailRefusals {
  private count = 0;
  private until = 0;

  refuseNext(count: number): void {
    this.count = count;
  }
  refuseFor(ms: number): void {
    this.until = Date.now() + ms;
  }
  clear(): void {
    this.count = 0;
    this.until = 0;
  }
  /** Whether this message is refused (consuming one of the counted refusals). */
  take(): boolean {
    if (Date.now() < this.until) return true;
    if (this.count > 0) {
      this.count -= 1;
      return true;
    }
    return false;
  }
}

const addresses = (value: AddressObject | AddressObject[] | undefined) =>
  value === undefined ? null : (Array.isArray(value) ? value : [value]).map((a) => a.text).join(", ");

export type MailCatcherOptions = {
  databaseUrl: string;
  port: number;
  /** What a sender must log in with (SMTP AUTH); random for this start when not given. The catcher's `url` carries them. */
  credentials?: { user: string; pass: string };
  /** Mail caught longer ago than this is deleted (at start, then hourly); unset: kept for good. */
  retainForMs?: number;
};

/** How often the catcher deletes old mail by itself. */
const PRUNE_EVERY_MS = 60 * 60_000;

export async function startMailCatcher(options: MailCatcherOptions) {
  await migrateStandIns(options.databaseUrl);
  // Only who holds the credentials can leave mail here: another user of the machine could otherwise put
  // mail in the dashboard's Mail page that looks like the order desk's.
  const credentials = options.credentials ?? { user: "catcher", pass: randomToken() };
  const database = createDatabaseHandle(options.databaseUrl, { name: "mail-catcher" });
  const refusals = new MailRefusals();
  const server = new SMTPServer({
    authOptional: false,
    authMethods: ["PLAIN", "LOGIN"],
    allowInsecureAuth: true, // loopback, and no TLS to offer
    disabledCommands: ["STARTTLS"],
    onAuth(auth, _session, callback) {
      if (auth.username === credentials.user && sameSecret(auth.password ?? "", credentials.pass))
        return callback(null, { user: auth.username });
      callback(Object.assign(new Error("Invalid username or password"), { responseCode: 535 }));
    },
    banner: "order-fulfillment mail catcher",
    // smtp-server only enforces `size` with rejectOversized: without it a 30 MB message was taken whole.
    size: 10 * 1024 * 1024,
    rejectOversized: true,
    logger: false,
    onMailFrom(_address, _session, callback) {
      if (!refusals.take()) return callback();
      const refusal = Object.assign(new Error("Mailbox busy, try again later (refusal injected by the mail catcher)"), {
        responseCode: 451,
      });
      callback(refusal);
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then(async (mail) => {
          // Over `size`: refused (552) and not kept; smtp-server still streams it to the end, so say it here.
          if (stream.sizeExceeded)
            return callback(Object.assign(new Error("Message exceeds the catcher's size limit of 10 MB"), { responseCode: 552 }));
          await database.db.insert(caughtMessages).values({
            messageId: mail.messageId ?? null,
            envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            envelopeTo: session.envelope.rcptTo.map((r) => r.address),
            fromAddress: addresses(mail.from),
            toAddress: addresses(mail.to),
            subject: mail.subject ?? null,
            text: mail.text ?? null,
            html: typeof mail.html === "string" ? mail.html : null,
            headers: Object.fromEntries(mail.headerLines.map((h) => [h.key, h.line.slice(h.line.indexOf(":") + 1).trim()])),
          });
          callback();
        })
        .catch((error: Error) =>
          callback(Object.assign(new Error(`Could not store the message: ${error.message}`), { responseCode: 451 })),
        );
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "EADDRINUSE"
          ? new PortTakenError(
              `The mail catcher cannot listen on ${LOCALHOST}:${options.port}: the port is taken. Stop what uses it or set SMTP_CATCHER_PORT.`,
            )
          : error,
      ),
    );
    server.listen(options.port, LOCALHOST, () => resolve());
  });
  server.on("error", (error) => console.error("[mail catcher]", error.message));
  let pruning: Promise<number> = Promise.resolve(0);
  const closing = new AbortController();
  const pruneOldMail = () => {
    const { retainForMs } = options;
    if (retainForMs === undefined) return Promise.resolve(0);
    pruning = pruning.then(() =>
      pruneCaughtMail(database.db, retainForMs, closing.signal).catch((error: Error) => {
        console.error("[mail catcher] deleting old mail:", error.message);
        return 0;
      }),
    );
    return pruning;
  };
  void pruneOldMail();
  const pruneTimer = options.retainForMs === undefined ? undefined : setInterval(() => void pruneOldMail(), PRUNE_EVERY_MS).unref();

  const address = server.server.address();
  const port = typeof address === "object" && address ? address.port : options.port;

  return {
    /** smtp://user:pass@127.0.0.1:port: what a sender (nodemailer, SMTP_URL) is given. */
    url: `smtp://${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.pass)}@${LOCALHOST}:${port}`,
    port,
    refusals,
    /** Deletes the mail older than `retainForMs` now (the catcher does so hourly by itself); returns how many. */
    pruneOldMail,
    close: async () => {
      clearInterval(pruneTimer);
      closing.abort(); // a pruning under way stops after its current batch
      await pruning;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await database.close();
    },
  };
}
