// Stripe's idempotency layer as its docs state it: the first response to a key is saved once the endpoint
// starts executing (errors included) and replayed with `Idempotent-Replayed: true`; the same key with other
// parameters is an idempotency_error; a request while the first is still running gets 409; keys live 24 h.
import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { and, eq, lt, sql } from "drizzle-orm";
import type { Database, Transaction } from "../db/client";
import { idempotencyKeys } from "../db/schema";
import { StripeHttpError } from "./stripe-error";

export type ApiResult = { status: number; body: Record<string, unknown>; replayed?: boolean };

const KEY_TTL = "24 hours";
/** An in-flight key older than this belongs to a stand-in that died mid-request; its work never committed. */
const ABANDONED_AFTER = "30 seconds";
/** How often a slow request re-stamps its claim, well inside ABANDONED_AFTER, so no retry takes it over. */
const CLAIM_REFRESH_MS = 10_000;

export function requestFingerprint(method: string, path: string, params: unknown): string {
  return createHash("sha256")
    .update(`${method} ${path} ${stableJson(params)}`)
    .digest("hex");
}

/**
 * Runs `handler` in one transaction; with a key, at most once per key, replaying its saved result.
 * `delayMs` (the slow_processing fault) is spent before the handler with the key already claimed, as a
 * slow Stripe holds it: a retry meanwhile gets 409, one after gets the replay.
 */
export async function runIdempotently(
  db: Database,
  key: string | null,
  fingerprint: string,
  handler: (tx: Transaction) => Promise<Record<string, unknown>>,
  delayMs = 0,
): Promise<ApiResult> {
  if (key === null) {
    if (delayMs > 0) await sleep(delayMs);
    return db.transaction((tx) => execute(tx, handler));
  }

  await db
    .delete(idempotencyKeys)
    .where(and(eq(idempotencyKeys.key, key), lt(idempotencyKeys.createdAt, sql`now() - ${KEY_TTL}::interval`)));
  const [claimed] = await db
    .insert(idempotencyKeys)
    .values({ key, requestFingerprint: fingerprint, state: "in_flight" })
    .onConflictDoNothing()
    .returning();
  if (!claimed) {
    const [takenOver] = await db
      .update(idempotencyKeys)
      .set({ createdAt: sql`now()` })
      .where(
        and(
          eq(idempotencyKeys.key, key),
          eq(idempotencyKeys.state, "in_flight"),
          eq(idempotencyKeys.requestFingerprint, fingerprint),
          lt(idempotencyKeys.createdAt, sql`now() - ${ABANDONED_AFTER}::interval`),
        ),
      )
      .returning();
    if (!takenOver) return existingResult(db, key, fingerprint);
  }

  try {
    if (delayMs > 0) await waitHoldingClaim(db, key, delayMs);
    return await db.transaction(async (tx) => {
      const result = await execute(tx, handler);
      await tx
        .update(idempotencyKeys)
        .set({ state: "done", responseStatus: result.status, responseBody: result.body })
        .where(eq(idempotencyKeys.key, key));
      return result;
    });
  } catch (error) {
    await db.delete(idempotencyKeys).where(eq(idempotencyKeys.key, key)); // nothing ran: the key is free again
    throw error;
  }
}

async function existingResult(db: Database, key: string, fingerprint: string): Promise<ApiResult> {
  const [row] = await db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, key));
  if (!row) return { status: 409, body: inUse(key) }; // deleted between our two reads: the first request failed; retry
  if (row.requestFingerprint !== fingerprint) {
    return {
      status: 400,
      body: {
        error: {
          type: "idempotency_error",
          message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
        },
      },
    };
  }
  if (row.state === "in_flight") return { status: 409, body: inUse(key) };
  return { status: row.responseStatus!, body: row.responseBody!, replayed: true };
}

async function waitHoldingClaim(db: Database, key: string, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    await sleep(Math.min(until - Date.now(), CLAIM_REFRESH_MS));
    await db
      .update(idempotencyKeys)
      .set({ createdAt: sql`now()` })
      .where(and(eq(idempotencyKeys.key, key), eq(idempotencyKeys.state, "in_flight")));
  }
}

const inUse = (key: string) => ({
  error: {
    type: "invalid_request_error",
    code: "idempotency_key_in_use",
    message: `There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): ${key}. Please try again later.`,
  },
});

/** Stripe errors raised by a handler are results (saved and replayed); its writes before them still commit. */
async function execute(tx: Transaction, handler: (tx: Transaction) => Promise<Record<string, unknown>>): Promise<ApiResult> {
  try {
    return { status: 200, body: await handler(tx) };
  } catch (error) {
    if (error instanceof StripeHttpError) return { status: error.status, body: error.body };
    throw error;
  }
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}
