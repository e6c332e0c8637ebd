// Stripe's Search API over the stored objects: newest first, `limit` per page, and an opaque `next_page`
// cursor. Unlike Stripe's (searchable up to a minute after a write), the stand-in's is immediate, so a
// flow that relies on reading its own write through search passes here and not at Stripe.
import { and, desc, eq, sql, type SQL } from "drizzle-orm";
import type { DatabaseOrTransaction } from "../db/client";
import { stripeObjects } from "../db/schema";
import type { SearchClause } from "./search-query";
import { invalidRequest } from "./stripe-error";

export async function searchObjects(
  db: DatabaseOrTransaction,
  type: string,
  clauses: SearchClause[],
  options: { url: string; limit: number; page?: string },
) {
  const conditions: SQL[] = [eq(stripeObjects.type, type), ...clauses.map(matches)];
  // (created_at, id) as the cursor, compared in SQL: a JS Date would lose the microseconds that order objects made within one millisecond.
  if (options.page !== undefined) {
    conditions.push(
      sql`(${stripeObjects.createdAt}, ${stripeObjects.id}) < (select o.created_at, o.id from ${stripeObjects} o where o.id = ${afterIdOf(options.page)})`,
    );
  }
  const rows = await db
    .select({ id: stripeObjects.id, data: stripeObjects.data })
    .from(stripeObjects)
    .where(and(...conditions))
    .orderBy(desc(stripeObjects.createdAt), desc(stripeObjects.id))
    .limit(options.limit + 1);
  const page = rows.slice(0, options.limit);
  const hasMore = rows.length > options.limit;
  return {
    object: "search_result" as const,
    url: options.url,
    has_more: hasMore,
    data: page.map((r) => r.data),
    next_page: hasMore ? pageAfter(page[page.length - 1]!.id) : null,
  };
}

function matches(clause: SearchClause): SQL {
  return clause.field === "status"
    ? sql`${stripeObjects.data} ->> 'status' = ${clause.value}`
    : sql`${stripeObjects.data} -> 'metadata' ->> ${clause.key} = ${clause.value}`;
}

const PAGE_PREFIX = "after:";

const pageAfter = (id: string) => Buffer.from(`${PAGE_PREFIX}${id}`).toString("base64url");

function afterIdOf(page: string): string {
  const decoded = Buffer.from(page, "base64url").toString("utf8");
  if (!decoded.startsWith(PAGE_PREFIX))
    throw invalidRequest(`Invalid page: ${JSON.stringify(page)} is not a next_page this search returned.`, {
      code: "parameter_invalid",
      param: "page",
    });
  return decoded.slice(PAGE_PREFIX.length);
}
