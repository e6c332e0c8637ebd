// Transactions for the platform's, the app's and the stand-ins' handles, in place of postgres.js's `sql.begin`,
// for two reasons:
// - postgres.js's begin sends BEGIN and waits for Postgres's answer before the transaction's first statement: a
//   round trip that carries nothing. Here BEGIN is queued on a reserved connection and the first statement follows
//   it in the same write (postgres.js gathers what one connection is sent in one turn of the event loop into one
//   write): n statements cost n + 1 round trips, not n + 2. (On the order-shaped workflow that is 18 round trips
//   fewer in about 90; neither CPU nor throughput moved measurably on this 2-core machine.)
// - When its connection died mid-transaction, postgres.js's begin sent ROLLBACK on it and wrote to its closed
//   socket, which threw outside any promise and ended the process (the next statement did the same when the
//   connection closed between two). Here a connection seen gone (a statement's error, or postgres.js telling of
//   its close) is sent nothing more and is not released: postgres.js has it back in its pool, to reconnect.
//
// What postgres.js's begin also did is kept: a savepoint per nested transaction, ROLLBACK on any error, and a
// transaction whose statement failed is never reported committed (Postgres answers COMMIT with ROLLBACK then).
import postgres from "postgres";

type Body<T> = (tx: postgres.TransactionSql) => T | Promise<T>;

/** postgres.js's own codes for a connection that closed, ended or never connected. */
const CONNECTION_ERRORS: ReadonlySet<string> = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "CONNECTION_ENDED",
  "CONNECT_TIMEOUT",
]);

/** Whether a statement's error means its connection is gone (closed, a socket error, or a FATAL error from
 *  Postgres, which then closes it) rather than that the statement failed on a connection that still works. */
function connectionIsGone(error: unknown): boolean {
  if (error instanceof postgres.PostgresError) return error.severity === "FATAL" || error.severity === "PANIC";
  if (!(error instanceof Error)) return false;
  const { code, syscall } = error as { code?: unknown; syscall?: unknown };
  return (typeof code === "string" && CONNECTION_ERRORS.has(code)) || typeof syscall === "string";
}

/**
 * Why postgres.js could not send these parameters (it would fail while serializing them), or undefined. Checked
 * before the first statement is queued behind BEGIN: there, postgres.js hands a serializing failure to the query
 * ahead of it (BEGIN) and leaves the statement waiting for an answer that never comes, and its connection with it.
 */
function unsendable(parameters: readonly unknown[] = []): string | undefined {
  if (parameters.length >= 65_534) return `${parameters.length} parameters, where Postgres takes at most 65,533`;
  for (const [i, value] of parameters.entries()) {
    const where = `parameter $${i + 1}`;
    if (value === undefined || (Array.isArray(value) && value.includes(undefined))) return `${where} is undefined`;
    if (value instanceof Date && Number.isNaN(value.getTime())) return `${where} is an invalid Date`;
    if (typeof value === "object" && value !== null && !(value instanceof Date) && !Buffer.isBuffer(value) && !Array.isArray(value))
      try {
        JSON.stringify(value);
      } catch (error) {
        return `${where} cannot be written as JSON (${(error as Error).message})`;
      }
  }
  return undefined;
}

/** What BEGIN's `onexecute` receives: postgres.js calls the connection's `onclose`, once, when it closes. */
type ClosingConnection = { onclose: ((error: unknown) => void) | null };

/** Runs `body` in a transaction on a connection of `sql`'s pool, BEGIN sent with its first statement. */
export async function beginPipelined<T>(sql: postgres.Sql, mode: string, body: Body<T>): Promise<T> {
  const connection = await sql.reserve();
  /** Whether a statement found the connection gone (see above). */
  let gone = false;
  /** The first statement error, for a transaction whose COMMIT turned out a ROLLBACK. */
  let failure: unknown;
  const watched = <Q extends Promise<unknown>>(query: Q): Q => {
    query.catch((error: unknown) => {
      gone ||= connectionIsGone(error);
      failure ??= error;
    });
    return query;
  };
  const refuseIfGone = () => {
    if (gone) throw new Error("The transaction's connection to Postgres is gone");
  };
  const send = (statement: string, options?: postgres.UnsafeQueryOptions) => {
    refuseIfGone();
    return watched(connection.unsafe(statement, [], options));
  };
  /** postgres.js's connection under the reserved handle, once BEGIN is on it: its `onclose` is how a close between
   *  two statements, with none in flight, is learnt (postgres.js's own begin listens the same way). */
  let underlying: ClosingConnection | undefined;
  const release = () => {
    if (underlying) underlying.onclose = null;
    connection.release();
  };
  /** Whether a statement has followed BEGIN. */
  let begun = false;
  let savepoints = 0;
  const tx = new Proxy(connection, {
    has: (target, key) => key === "savepoint" || Reflect.has(target, key),
    get(target, key) {
      if (key === "unsafe")
        return (...args: Parameters<postgres.Sql["unsafe"]>) => {
          refuseIfGone();
          if (!begun) {
            const reason = unsendable(args[1]);
            if (reason) throw new TypeError(`Cannot send this statement: ${reason}`);
          }
          begun = true;
          return watched(target.unsafe(...args));
        };
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
  const opening = send(`begin ${mode.replace(/[^a-z ]/gi, "")}`, {
    // Called as BEGIN is written; true keeps the connection taking statements in the same write.
    onexecute: (c: ClosingConnection) => {
      underlying = c;
      c.onclose = () => (gone = true);
      return true;
    },
  } as postgres.UnsafeQueryOptions);
  try {
    if (mode.trim()) await opening;
    const result = await body(tx);
    await opening;
    const closing = await send("commit");
    if (closing.command !== "COMMIT")
      throw new Error("The transaction was rolled back: one of its statements failed and the error was caught inside it.", {
        cause: failure,
      });
    release();
    return result;
  } catch (error) {
    const rolledBack =
      !gone &&
      (await send("rollback").then(
        () => !gone,
        () => false,
      ));
    if (rolledBack) release();
    throw error;
  }
}
