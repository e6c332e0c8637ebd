// `npm run order`: fire order events at the running stack's HTTP API and follow the orders to the end.
//   npm run order -- --email a@b.c --sku MUG-LOGO:2 [--sku …] [--id ID] [--card pm_card_chargeDeclined] [--name N]
//   npm run order -- --random 50        (random orders from the catalog, a progress bar, then a summary)
//   npm run order -- --cancel ID
import { parseArgs } from "node:util";
import { z } from "zod";
import { loadConfig } from "../config";
import { withInstallSecrets } from "../stack/app-secrets";
import { InvalidInputError, parseInput } from "../input-error";
import { TERMINAL_STATUSES } from "../orders/order-status";

const Flags = z
  .object({
    email: z.email({ error: "must be an e-mail address" }).optional(),
    name: z.string().min(1).optional(),
    sku: z.array(z.string().regex(/^[A-Z0-9][A-Z0-9_-]*:[1-9]\d*$/, "must be SKU:QUANTITY, like MUG-LOGO:2")).default([]),
    id: z.string().optional(),
    card: z
      .string()
      .regex(/^pm_\w+$/, "must be a test PaymentMethod like pm_card_visa")
      .default("pm_card_visa"),
    currency: z.string().default("usd"),
    random: z.coerce.number().int("must be a whole number").min(1, "must be at least 1").max(10_000, "must be at most 10000").optional(),
    cancel: z.string().min(1).optional(),
    "no-wait": z.boolean().default(false),
    "app-url": z.url().optional(),
  })
  .superRefine((f, ctx) => {
    const modes = [f.random !== undefined, f.cancel !== undefined, f.sku.length > 0].filter(Boolean).length;
    if (modes === 0)
      ctx.addIssue({ code: "custom", path: ["sku"], message: "give --sku SKU:QTY (and --email), or --random N, or --cancel ID" });
    if (modes > 1) ctx.addIssue({ code: "custom", path: ["random"], message: "--sku, --random and --cancel do not go together" });
    if (f.sku.length > 0 && !f.email) ctx.addIssue({ code: "custom", path: ["email"], message: "is required with --sku" });
  });

type Flags = z.output<typeof Flags>;

function readFlags(argv: string[]): Flags {
  let raw;
  try {
    raw = parseArgs({
      args: argv,
      strict: true,
      options: {
        email: { type: "string" },
        name: { type: "string" },
        sku: { type: "string", multiple: true },
        id: { type: "string" },
        card: { type: "string" },
        currency: { type: "string" },
        random: { type: "string" },
        cancel: { type: "string" },
        "no-wait": { type: "boolean" },
        "app-url": { type: "string" },
      },
    }).values;
  } catch (error) {
    throw new InvalidInputError("flags", [{ field: "argv", message: error instanceof Error ? error.message : String(error) }]);
  }
  return parseInput(Flags, raw, "flags");
}

/** The app's HTTP API and the token it takes. */
type AppTarget = { url: string; token: string };

type Order = { id: string; status: string; totalCents: number; currency: string; failureReason: string | null };

async function api<T>(app: AppTarget, path: string, init?: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${app.url}${path}`, {
      ...init,
      headers: { "content-type": "application/json", authorization: `Bearer ${app.token}` },
    });
  } catch {
    throw new Error(`Cannot reach the app at ${app.url}. Is \`npm start\` running?`);
  }
  const body = (await response.json().catch(() => ({}))) as T & { error?: string };
  if (!response.ok) throw new Error(`${init?.method ?? "GET"} ${path}: ${response.status} ${body.error ?? ""}`);
  return body;
}

const sendEvent = (app: AppTarget, name: string, payload: unknown) =>
  api<{ orderId: string; runId: string }>(app, `/api/events/${name}`, { method: "POST", body: JSON.stringify(payload) });

async function waitTerminal(
  app: AppTarget,
  ids: string[],
  onProgress: (done: number) => void,
  timeoutMs = 10 * 60_000,
): Promise<Map<string, Order>> {
  const done = new Map<string, Order>();
  const deadline = Date.now() + timeoutMs;
  while (done.size < ids.length && Date.now() < deadline) {
    for (const id of ids.filter((i) => !done.has(i))) {
      const order = await api<Order>(app, `/api/orders/${id}`);
      if ((TERMINAL_STATUSES as readonly string[]).includes(order.status)) done.set(id, order);
    }
    onProgress(done.size);
    if (done.size < ids.length) await new Promise((r) => setTimeout(r, 250));
  }
  return done;
}

function progressBar(done: number, total: number): string {
  const width = 30;
  const filled = Math.round((done / total) * width);
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total}`;
}

/** A bar redrawn in place on a terminal; elsewhere (a log, CI) a line at each tenth. */
function progress(label: string) {
  let lastTenth = -1;
  return (done: number, total: number) => {
    if (process.stdout.isTTY) process.stdout.write(`\r${label} ${progressBar(done, total)}${done === total ? "\n" : ""}`);
    else if (Math.floor((done / total) * 10) !== lastTenth) {
      lastTenth = Math.floor((done / total) * 10);
      console.log(`${label} ${progressBar(done, total)}`);
    }
  };
}

const money = (cents: number, currency: string) => `${(cents / 100).toFixed(2)} ${currency.toUpperCase()}`;

async function main() {
  const flags = readFlags(process.argv.slice(2));
  // The token is the install's own (DATA_DIR/app-secrets.json), unless APP_API_TOKEN chose one.
  const { config } = withInstallSecrets(loadConfig());
  const app: AppTarget = { url: flags["app-url"] ?? config.app.url, token: config.app.apiToken! };

  if (flags.cancel) {
    const sent = await sendEvent(app, "order.cancelled", { id: flags.cancel });
    console.log(`order.cancelled sent for ${sent.orderId} (run ${sent.runId})`);
    return;
  }

  if (flags.sku.length > 0) {
    const id = flags.id ?? `ord-${Date.now().toString(36)}`;
    const lines = flags.sku.map((s) => ({ sku: s.split(":")[0]!, quantity: Number(s.split(":")[1]) }));
    const sent = await sendEvent(app, "order.created", {
      id,
      customer: { email: flags.email, ...(flags.name ? { name: flags.name } : {}) },
      lines,
      currency: flags.currency,
      paymentMethod: flags.card,
    });
    console.log(`order ${sent.orderId} accepted; workflow run ${sent.runId}`);
    if (flags["no-wait"]) return;
    const [order] = [...(await waitTerminal(app, [id], () => process.stdout.write(".")))].map(([, o]) => o);
    process.stdout.write("\n");
    if (!order) throw new Error(`order ${id} did not finish within 10 minutes; see GET ${app.url}/api/orders/${id}`);
    console.log(
      `order ${id}: ${order.status}${order.failureReason ? ` (${order.failureReason})` : ""}, ${money(order.totalCents, order.currency)}`,
    );
    return;
  }

  // --random N
  const { inventory } = await api<{ inventory: { sku: string; available: number }[] }>(app, "/api/inventory");
  if (inventory.length === 0) throw new Error("The catalog is empty");
  const count = flags.random!;
  const ids: string[] = [];
  const started = Date.now();
  const run = Date.now().toString(36);
  const sending = progress("sending  ");
  for (let i = 0; i < count; i++) {
    const id = `rnd-${run}-${i}`;
    const picks = [...inventory].sort(() => Math.random() - 0.5).slice(0, 1 + Math.floor(Math.random() * 2));
    await sendEvent(app, "order.created", {
      id,
      customer: { email: `customer${i}@example.com` },
      lines: picks.map((p) => ({ sku: p.sku, quantity: 1 + Math.floor(Math.random() * 2) })),
      currency: "usd",
      paymentMethod: Math.random() < 0.1 ? "pm_card_chargeDeclined" : "pm_card_visa",
    });
    ids.push(id);
    sending(i + 1, count);
  }
  const fulfilled = progress("fulfilled");
  const done = await waitTerminal(app, ids, (n) => fulfilled(n, count));
  const byStatus = new Map<string, number>();
  for (const order of done.values()) byStatus.set(order.status, (byStatus.get(order.status) ?? 0) + 1);
  const seconds = (Date.now() - started) / 1000;
  console.log(`\n${done.size}/${count} orders finished in ${seconds.toFixed(1)} s (${(done.size / seconds).toFixed(1)} orders/s):`);
  for (const [status, n] of [...byStatus].sort()) console.log(`  ${status.padEnd(15)} ${n}`);
  if (done.size < count) console.log(`  still running   ${count - done.size}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(error instanceof InvalidInputError ? 2 : 1);
});
