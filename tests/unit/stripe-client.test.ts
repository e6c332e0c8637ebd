// The Stripe client's requests capture no call-site stack (a Trigger.dev worker would source-map it), and the
// client still answers and fails as the SDK does.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import Stripe from "stripe";
import { loadConfig } from "../../src/config";
import { createStripeClient } from "../../src/payments/stripe-client";

let server: http.Server;
let port: number;
const formatted: string[][] = [];
const original = Error.prepareStackTrace;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    res.setHeader("content-type", "application/json");
    if (req.url?.startsWith("/v1/payment_intents/pi_declined")) {
      res.statusCode = 402;
      res.end(JSON.stringify({ error: { type: "card_error", code: "card_declined", message: "Your card was declined." } }));
      return;
    }
    res.end(JSON.stringify({ id: "pi_1", object: "payment_intent", status: "succeeded" }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
  // Records the functions on every stack that is formatted, the way a worker's source-map support sees them.
  Error.prepareStackTrace = (error, sites) => {
    formatted.push(sites.map((site) => site.getFunctionName() ?? ""));
    return [String(error), ...sites.map((site) => `    at ${site}`)].join("\n");
  };
});

afterEach(() => {
  formatted.length = 0;
});

afterAll(async () => {
  Error.prepareStackTrace = original;
  await new Promise((resolve) => server.close(resolve));
});

const client = () => createStripeClient({ ...loadConfig({}).stripe, standInPort: port });

describe("createStripeClient", () => {
  it("makes a request without formatting a stack of its caller", async () => {
    const limit = Error.stackTraceLimit;
    const intent = await client().paymentIntents.retrieve("pi_1");
    expect(intent).toMatchObject({ id: "pi_1", status: "succeeded" });
    expect(formatted.filter((functions) => functions.includes("_makeRequest"))).toEqual([]);
    expect(Error.stackTraceLimit).toBe(limit);
  });

  it("leaves what is not an API resource as the SDK made it", () => {
    const stripe = client();
    expect(stripe.errors.StripeCardError).toBe(Stripe.errors.StripeCardError);
    expect(stripe.webhooks.constructEvent).toBe(new Stripe("sk_test_other").webhooks.constructEvent);
  });

  it("still fails with the SDK's own error, its type and message", async () => {
    const failure = await client()
      .paymentIntents.retrieve("pi_declined")
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(failure).toMatchObject({ code: "card_declined", message: "Your card was declined." });
    // What it loses: the caller's frames after the SDK's marker line.
    expect((failure as Error).stack).toMatch(/Originating from:\nError$/);
  });

  it("formats a Stripe error's stack without the installed (source-mapping) formatter, and other errors' with it", async () => {
    const failure = await client()
      .paymentIntents.retrieve("pi_declined")
      .catch((error: unknown) => error);
    // The recording formatter saw no frames: the call-site capture has none, and the decline's were not its to format.
    expect(formatted.filter((functions) => functions.length > 0)).toEqual([]);
    expect((failure as Error).stack).toMatch(/^Error: Your card was declined\.\n {4}at /);
    const other = new Error("not Stripe's");
    expect(other.stack).toMatch(/^Error: not Stripe's\n/);
    expect(formatted.filter((functions) => functions.length > 0)).toHaveLength(1);
  });
});
