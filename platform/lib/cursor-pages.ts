// Keyset pages, newest first, as Trigger.dev's list endpoints answer them (`page[size]`, `page[after]`,
// `page[before]` → `pagination: {next, previous}`): on (created_at, id), so a page deep down costs what the
// first does. Runs and wait tokens list this way.
import { and, sql, type InferSelectModel, type SQL } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import type { DatabaseOrTransaction } from "./db/client";
import { internalId } from "./ids";

export type PageQuery = { limit: number; after?: string; before?: string };

/** The page asked for. The SDK's getPreviousPage() sends its page's `after` along with the new `before`:
 *  `before` is the one meant. */
export const pageQuery = (limit: number, after: string | undefined, before: string | undefined): PageQuery =>
  before ? { limit, before } : after ? { limit, after } : { limit };
type Keyed = { createdAt: Date; id: string; friendlyId: string };

/** Rows older than the cursor row (a page after it) or newer (a page before it): a row comparison, so Postgres
 *  walks its index. The cursor's own values are read in SQL: a JS Date keeps milliseconds, Postgres microseconds,
 *  and a rounded cursor would let the cursor row into its own next page. */
export function beyondCursor(table: PgTable & { createdAt: PgColumn; id: PgColumn }, cursorId: string, q: PageQuery): SQL {
  const cursor = sql`(SELECT ${table.createdAt}, ${table.id} FROM ${table} WHERE ${table.id} = ${cursorId})`;
  return q.after ? sql`(${table.createdAt}, ${table.id}) < ${cursor}` : sql`(${table.createdAt}, ${table.id}) > ${cursor}`;
}

/** The order a page is read in: newest first, or oldest first when paging back (then reversed). */
export const pageOrder = (columns: { createdAt: PgColumn; id: PgColumn }, q: PageQuery): SQL =>
  q.before ? sql`${columns.createdAt} asc, ${columns.id} asc` : sql`${columns.createdAt} desc, ${columns.id} desc`;

/** One page from `limit + 1` rows read in pageOrder: the rows, newest first, and the cursors on either side. */
export function cursorPage<T extends Pick<Keyed, "friendlyId">>(read: T[], q: PageQuery) {
  const hasMore = read.length > q.limit;
  const rows = read.slice(0, q.limit);
  if (q.before) rows.reverse();
  return {
    rows,
    pagination: {
      ...((q.before ? true : hasMore) && rows.length ? { next: rows[rows.length - 1]!.friendlyId } : {}),
      ...((q.before ? hasMore : Boolean(q.after)) && rows.length ? { previous: rows[0]!.friendlyId } : {}),
    },
  };
}

type PagedTable = PgTable & { createdAt: PgColumn; id: PgColumn };

/** The `limit + 1` rows of `table` matching `where` that a page needs, read in pageOrder beyond the cursor. */
export async function readPageRows<T extends PagedTable>(db: DatabaseOrTransaction, table: T, where: SQL[], q: PageQuery) {
  const cursorId = q.after ?? q.before;
  const conditions = cursorId ? [...where, beyondCursor(table, internalId(cursorId), q)] : where;
  const read = await db
    .select()
    .from(table as PgTable)
    .where(and(...conditions))
    .orderBy(pageOrder(table, q))
    .limit(q.limit + 1);
  return read as InferSelectModel<T>[];
}
