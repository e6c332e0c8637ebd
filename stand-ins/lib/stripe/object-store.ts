// Stripe objects kept as JSON in Postgres, with Stripe-style ids.
import { randomBytes } from "node:crypto";
import { and, asc, desc, eq, lt, sql } from "drizzle-orm";
import type { DatabaseOrTransaction } from "../db/client";
import { stripeObjects, type StripeObject } from "../db/schema";
import { resourceMissing } from "./stripe-error";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

export function stripeId(prefix: string): string {
  const bytes = randomBytes(24);
  return `${prefix}_${Array.from(bytes, (b) => ALPHABET[b % ALPHABET.length]).join("")}`;
}

export const unixNow = () => Math.floor(Date.now() / 1000);

export async function insertObject(db: DatabaseOrTransaction, data: StripeObject, settlesAt?: Date): Promise<void> {
  await db.insert(stripeObjects).values({ id: data.id, type: data.object, data, settlesAt: settlesAt ?? null });
}

export async function saveObject(db: DatabaseOrTransaction, data: StripeObject, settlesAt: Date | null = null): Promise<void> {
  await db
    .update(stripeObjects)
    .set({ data, settlesAt, updatedAt: sql`now()` })
    .where(eq(stripeObjects.id, data.id));
}

/** Reads an object, locking it for the transaction when `forUpdate`; 404 in Stripe's words when missing. */
export async function loadObject<T extends StripeObject>(
  db: DatabaseOrTransaction,
  type: string,
  id: string,
  options: { forUpdate?: boolean; param?: string } = {},
): Promise<T> {
  const query = db
    .select()
    .from(stripeObjects)
    .where(and(eq(stripeObjects.id, id), eq(stripeObjects.type, type)));
  const [row] = options.forUpdate ? await query.for("update") : await query;
  if (!row) throw resourceMissing(type, id, options.param);
  return row.data as T;
}

export async function listObjects(
  db: DatabaseOrTransaction,
  type: string,
  options: { limit?: number; startingAfter?: string; filter?: { field: string; value: string } },
) {
  const limit = options.limit ?? 10;
  const conditions = [eq(stripeObjects.type, type)];
  if (options.filter) conditions.push(sql`${stripeObjects.data} ->> ${options.filter.field} = ${options.filter.value}`);
  if (options.startingAfter) {
    const [cursor] = await db
      .select({ createdAt: stripeObjects.createdAt })
      .from(stripeObjects)
      .where(eq(stripeObjects.id, options.startingAfter));
    if (!cursor) throw resourceMissing(type, options.startingAfter, "starting_after");
    conditions.push(lt(stripeObjects.createdAt, cursor.createdAt));
  }
  const rows = await db
    .select()
    .from(stripeObjects)
    .where(and(...conditions))
    .orderBy(desc(stripeObjects.createdAt), asc(stripeObjects.id))
    .limit(limit + 1);
  return { object: "list" as const, data: rows.slice(0, limit).map((r) => r.data), has_more: rows.length > limit };
}
