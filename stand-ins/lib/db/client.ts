// The stand-ins' database handle: Drizzle over postgres.js, typed with their own tables only.
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { preparingStatements } from "local-trigger/prepared-statements";
import * as schema from "./schema";

export type Database = ReturnType<typeof createDatabaseHandle>["db"];
export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];
export type DatabaseOrTransaction = Database | Transaction;

export function createDatabaseHandle(url: string, options: { max?: number; name: string }) {
  const client = postgres(url, { max: options.max ?? 5, onnotice: () => {}, connection: { application_name: options.name } });
  return { db: drizzle(preparingStatements(client), { schema }), close: () => client.end({ timeout: 5 }) };
}
