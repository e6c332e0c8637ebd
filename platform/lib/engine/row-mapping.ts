// Hand-written SQL for the engine's hot paths (dequeue, attempt start and complete, snapshots, triggers).
// A CPU profile under load showed Drizzle's query builder — not Postgres — as the platform's main cost
// (a 45-column run row rebuilt for every statement); a `sql` template is cheap to build, and its rows are
// mapped back to the same Drizzle row types here, column by column, with each column's own decoder.
import { getTableColumns, sql, type SQL } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import type { DatabaseOrTransaction } from "../db/client";

type Decoder = readonly [field: string, column: string, decode: (value: unknown) => unknown];
const decoders = new WeakMap<PgTable, Decoder[]>();

function decodersOf(table: PgTable): Decoder[] {
  let list = decoders.get(table);
  if (!list) {
    list = Object.entries(getTableColumns(table)).map(
      ([field, column]) => [field, column.name, (value: unknown) => column.mapFromDriverValue(value)] as const,
    );
    decoders.set(table, list);
  }
  return list;
}

/** A row as the driver (or Postgres' row_to_json) gives it, mapped to `table`'s Drizzle row type. */
export function decodeRow<T extends PgTable>(table: T, row: Record<string, unknown>): T["$inferSelect"] {
  const out: Record<string, unknown> = {};
  for (const [field, column, decode] of decodersOf(table)) {
    const value = row[column];
    out[field] = value === null || value === undefined ? null : decode(value);
  }
  return out as T["$inferSelect"];
}

/** Runs `query` (which must return whole rows of `table`, e.g. `RETURNING *`) and maps them as Drizzle would. */
export async function selectRows<T extends PgTable>(db: DatabaseOrTransaction, table: T, query: SQL): Promise<T["$inferSelect"][]> {
  const raw = await db.execute<Record<string, unknown>>(query);
  return raw.map((row) => decodeRow(table, row));
}

export async function selectRow<T extends PgTable>(
  db: DatabaseOrTransaction,
  table: T,
  query: SQL,
): Promise<T["$inferSelect"] | undefined> {
  return (await selectRows(db, table, query))[0];
}

/** A timestamp parameter: the driver passes timestamps through as text, so it gets ISO text. */
export const timestampParam = (date: Date | null | undefined) => (date ? date.toISOString() : null);

/** A list as a text[] parameter (never a joined string: a value is the caller's and may hold anything). */
export const textArray = (values: string[]) => sql`ARRAY(SELECT jsonb_array_elements_text(${JSON.stringify(values)}::jsonb))`;

/** A jsonb parameter. */
export const jsonParam = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));
