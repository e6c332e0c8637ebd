// Drizzle over postgres.js sends every statement unnamed (`prepare: false` unless a query is given a name), and
// postgres.js then asks Postgres to describe a statement with parameters before it binds them: two round trips,
// and Postgres parses and plans the statement anew each time. Measured on the platform's order-shaped workflow,
// planning took Postgres longer than executing (1.9 s against 1.2 s per 112 workflows). Named, a statement is
// parsed and described once per connection; after that it is one round trip, and Postgres keeps its plan.
//
// postgres.js bounds what a connection keeps: it replaces each connection after 30 to 60 minutes (max_lifetime).
// A server behind a pooler that cannot keep prepared statements (PgBouncer in transaction mode before 1.21)
// needs `?prepare=false` on the URL, which postgres.js reads and which wins over this.
import type postgres from "postgres";
import { beginPipelined } from "./pipelined-transaction";

type UnsafeArguments = Parameters<postgres.Sql["unsafe"]>;

/** `sql`, with every statement Drizzle sends through it (and through its transactions) prepared. */
export function preparingStatements<S extends postgres.Sql | postgres.TransactionSql>(sql: S): S {
  return new Proxy(sql, {
    get(target, key) {
      if (key === "unsafe")
        return (query: UnsafeArguments[0], parameters?: UnsafeArguments[1], options?: UnsafeArguments[2]) =>
          target.unsafe(query, parameters, { ...options, prepare: true });
      // A transaction's statements go through the handle it is given, and a savepoint's through its own.
      if (key === "begin" && "begin" in target)
        return (...args: unknown[]) => {
          const body = args.at(-1) as (tx: postgres.TransactionSql) => unknown;
          const mode = args.length > 1 ? (args[0] as string) : "";
          return beginPipelined(target, mode, (tx) => body(preparingStatements(tx)));
        };
      if (key === "savepoint" && "savepoint" in target)
        return (...args: unknown[]) => {
          const body = args.at(-1) as (tx: postgres.TransactionSql) => unknown;
          const name = args.length > 1 ? (args[0] as string) : undefined;
          const wrapped = (tx: postgres.TransactionSql) => body(preparingStatements(tx));
          return name === undefined ? target.savepoint(wrapped) : target.savepoint(name, wrapped);
        };
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
