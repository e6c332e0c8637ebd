// The platform's database handle: Drizzle over postgres.js, typed with the platform's own tables.
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { preparingStatements } from "./prepared-statements";
import * as schema from "./schema";

export type Database = ReturnType<typeof createDatabaseHandle>["db"];
/** The handle inside `db.transaction(tx => …)`: engine functions accept either. */
export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];
export type DatabaseOrTransaction = Database | Transaction;

export function createDatabaseHandle(
  url: string,
  /** `onStatement` sees each statement sent, with its parameters (the engine's statement-count tests count them;
   *  the timer-query tests explain them). */
  options: { max?: number; onStatement?: (statement: string, parameters: unknown[]) => void } = {},
) {
  const { onStatement } = options;
  const client = postgres(url, {
    max: options.max ?? 20,
    onnotice: () => {},
    connection: { application_name: "local-trigger" },
    ...(onStatement
      ? { debug: (_connection: number, statement: string, parameters: unknown[]) => onStatement(statement, parameters) }
      : {}),
  });
  return { db: drizzle(preparingStatements(client), { schema }), client, close: () => client.end({ timeout: 5 }) };
}
