// This install's namespace for requests to shared services. Stripe keeps an Idempotency-Key per account for
// 24 hours: two installs (two developers, CI and a laptop) charging "order-42" on one test account would
// replay each other's answers. The namespace is made once per database, on first use, and never changes.
import { randomBytes } from "node:crypto";
import type { DatabaseOrTransaction } from "../../db/client";
import { installation } from "../../db/schema";

const known = new WeakMap<object, string>();

export async function installNamespace(db: DatabaseOrTransaction): Promise<string> {
  const cached = known.get(db);
  if (cached) return cached;
  await db
    .insert(installation)
    .values({ namespace: randomBytes(8).toString("hex") })
    .onConflictDoNothing();
  const [row] = await db.select({ namespace: installation.namespace }).from(installation);
  known.set(db, row!.namespace);
  return row!.namespace;
}
