// postgres.js's `sql.begin` sends BEGIN and waits for Postgres's answer before it runs the transaction's first
// statement: a round trip that carries nothing. Here BEGIN is queued on a reserved connection and the first
// statement follows it in the same write (postgres.js gathers what one connection is sent in one turn of the event
// loop into one write), so a transaction of n statements costs n + 1 round trips, not n + 2. A round trip is a
// write and a wake-up on each side; on the order-shaped workflow they, not the statements' work, were most of
// what the platform's process and its Postgres spent (issue 16).
//
// What postgres.js's begin also did is kept: a savepoint per nested transaction, ROLLBACK on any error, and a
// transaction whose statement failed is never reported committed (Postgres answers COMMIT with ROLLBACK then).
import postgres from "postgres";

type Body<T> = (tx: postgres.TransactionSql) => T | Promise<T>;

/** Whether a statement's error means its connection is gone (postgres.js's own errors, a socket's, or a FATAL one
 *  from Postgres, which then closes it) rather than that the statement failed. */
const connectionIsGone = (error: unknown) =>
  !(error instanceof postgres.PostgresError) || error.severity === "FATAL" || error.severity === "PANIC";

/** Runs `body` in a transaction on a connection of `sql`'s pool, BEGIN sent with its first statement. */
export async function beginPipelined<T>(sql: postgres.Sql, mode: string, body: Body<T>): Promise<T> {
  const connection = await sql.reserve();
  // A connection that is gone must not be sent ROLLBACK (postgres.js would write to its closed socket) nor be
  // released (postgres.js has already put it back in its pool, to reconnect).
  let gone = false;
  const watched = <Q extends Promise<unknown>>(query: Q): Q => {
    query.catch((error: unknown) => (gone ||= connectionIsGone(error)));
    return query;
  };
  const send = (statement: string) => watched(connection.unsafe(statement));
  let savepoints = 0;
  const tx = new Proxy(connection, {
    has: (target, key) => key === "savepoint" || Reflect.has(target, key),
    get(target, key) {
      if (key === "unsafe") return (...args: Parameters<postgres.Sql["unsafe"]>) => watched(target.unsafe(...args));
      if (key === "savepoint")
        return async <R>(...args: unknown[]): Promise<R> => {
          const inner = args.at(-1) as Body<R>;
          const name = `s${++savepoints}`;
          await send(`savepoint ${name}`);
          try {
            const result = await inner(tx);
            await send(`release savepoint ${name}`);
            return result;
          } catch (error) {
            if (!gone) await send(`rollback to savepoint ${name}`);
            throw error;
          }
        };
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as unknown as postgres.TransactionSql;

  // Not awaited: BEGIN leaves in the same write as the body's first statement. Plain BEGIN fails only when the
  // connection does, and then every statement queued behind it fails too; one with a mode (an isolation level)
  // could fail alone, so it is awaited first.
  const opening = send(`begin ${mode.replace(/[^a-z ]/gi, "")}`);
  try {
    if (mode.trim()) await opening;
    const result = await body(tx);
    await opening;
    const closing = await send("commit");
    if (closing.command !== "COMMIT")
      throw new Error("The transaction was rolled back: one of its statements failed and the error was caught inside it.");
    connection.release();
    return result;
  } catch (error) {
    const rolledBack =
      !gone &&
      (await send("rollback").then(
        () => !gone,
        () => false,
      ));
    if (rolledBack) connection.release();
    throw error;
  }
}
