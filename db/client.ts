// The typed database handle every part of the project uses: Drizzle over postgres.js.
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { preparingStatements } from "local-trigger/prepared-statements";
import * as schema from "./schema";

export type Database = ReturnType<typeof createDatabaseHandle>["db"];
/** The handle inside `db.transaction(tx => …)`: domain functions accept either. */
export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];
export type DatabaseOrTransaction = Database | Transaction;

/** `name`: the connections' application_name (pg_stat_activity shows whose each is). */
export function createDatabaseHandle(url: string, options: { max?: number; name?: string } = {}) {
  const client = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {}, // "relation already exists, skipping" and the like are not news
    connection: { application_name: options.name ?? "order-fulfillment" },
  });
  const db = drizzle(preparingStatements(client), { schema });
  return { db, client, close: () => client.end({ timeout: 5 }) };
}
