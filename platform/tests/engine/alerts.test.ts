// Alerts of runs that ended badly (issue 15), on the engine with its timers: delivered to a test server in
// Trigger.dev's webhook shape and signature (checked with the SDK's own webhooks.constructEvent), retried
// through a failing receiver, never sent twice for one run, none for a run that succeeded.
import http from "node:http";
import { webhooks } from "@trigger.dev/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertDeliveriesOf } from "../../lib/engine/alerts";
import { internalId } from "../../lib/ids";
import { useEngine } from "./engine-harness";

const SECRET = "alert-secret-for-the-tests";
type Received = { body: string; signature: string };
const received: Received[] = [];
let failNext = 0;
let server: http.Server;
let url = "";

beforeAll(async () => {
  server = http.createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      received.push({ body, signature: String(request.headers["x-trigger-signature-hmacsha256"] ?? "") });
      response.statusCode = failNext-- > 0 ? 500 : 200;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/alerts`;
});
afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

const h = useEngine([{ id: "fragile" }], {
  alertWebhooks: [
    {
      get url() {
        return url; // known once the receiver listens
      },
      secret: SECRET,
    },
  ],
});

const forRun = (runId: string) => received.filter((r) => r.body.includes(runId));

describe("alerts", () => {
  it("a failed run is alerted once, in Trigger.dev's shape and signature, after the receiver's failures", async () => {
    failNext = 2;
    const { run } = await h().trigger("fragile");
    await h().startNext(run.friendlyId);
    await h().fail(run.friendlyId); // no retry: FAILED
    await expect
      .poll(async () => (await alertDeliveriesOf(h().db, internalId(run.friendlyId)))[0]?.status, { timeout: 15_000, interval: 200 })
      .toBe("delivered");
    const sends = forRun(run.friendlyId);
    expect(sends).toHaveLength(3); // two 500s, then delivered
    const event = await webhooks.constructEvent({ payload: sends[2]!.body, header: sends[2]!.signature }, SECRET);
    expect(event.type).toBe("alert.run.failed");
    if (event.type !== "alert.run.failed") return;
    expect(event.object.run).toMatchObject({ id: run.friendlyId, status: "FAILED", error: { message: "boom" } });
    expect(event.object.task.id).toBe("fragile");
    // Every send is the same webhook (one id), so a receiver can drop repeats.
    expect(new Set(sends.map((s) => JSON.parse(s.body).id)).size).toBe(1);
    const [delivery] = await alertDeliveriesOf(h().db, internalId(run.friendlyId));
    expect(delivery).toMatchObject({ attempts: 3, lastError: null });
    // Never again.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(forRun(run.friendlyId)).toHaveLength(3);
  }, 30_000);

  it("a forged signature does not verify; a run that succeeded is not alerted", async () => {
    const { run } = await h().trigger("fragile");
    await h().startNext(run.friendlyId);
    await h().succeed(run.friendlyId);
    await new Promise((r) => setTimeout(r, 500));
    expect(forRun(run.friendlyId)).toEqual([]);
    expect(await alertDeliveriesOf(h().db, internalId(run.friendlyId))).toEqual([]);
    const any = received.at(-1)!;
    await expect(webhooks.constructEvent({ payload: any.body, header: "0".repeat(64) }, SECRET)).rejects.toThrow(/Invalid signature/);
  });
});
