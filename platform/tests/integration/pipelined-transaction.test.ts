// Transactions through the platform's handle send BEGIN with their first statement (platform/lib/db/pipelined-
// transaction.ts), and keep what postgres.js's own begin promised: all or nothing, savepoints, a connection handed
// back to the pool after a failure and not after it died. The round trips are counted on the wire, by a TCP relay
// between the handle and Postgres that counts what the client writes.
import net from "node:net";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabaseHandle } from "../../lib/db/client";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

let database: TestDatabase;
let relay: net.Server;
/** Writes the client sent through the relay. */
let writes = 0;
let handle: ReturnType<typeof createDatabaseHandle>;
/** Cuts every connection through the relay, as a network failure or a restarted Postgres would. */
const sockets = new Set<net.Socket>();
const cutConnections = () => sockets.forEach((socket) => socket.destroy());

beforeAll(async () => {
  database = await createTestDatabase({ max: 1 });
  const target = new URL(database.url);
  relay = net.createServer((client) => {
    const server = net.connect(Number(target.port), target.hostname);
    client.on("data", () => writes++);
    sockets.add(client).add(server);
    client.pipe(server).pipe(client);
    const close = () => (client.destroy(), server.destroy(), sockets.delete(client), sockets.delete(server));
    client.on("error", close).on("close", close);
    server.on("error", close).on("close", close);
  });
  await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
  const viaRelay = new URL(database.url);
  viaRelay.port = String((relay.address() as net.AddressInfo).port);
  handle = createDatabaseHandle(viaRelay.toString(), { max: 1 });
  await handle.db.execute(sql`CREATE TABLE IF NOT EXISTS pipelined (n int PRIMARY KEY)`);
});
afterAll(async () => {
  await handle.close();
  relay.close();
  await database.close();
});

const rows = async () => (await handle.db.execute<{ n: number }>(sql`SELECT n FROM pipelined ORDER BY n`)).map((r) => r.n);
const clear = () => handle.db.execute(sql`TRUNCATE pipelined`);

describe("a transaction through the platform's handle", () => {
  it("costs one round trip per statement and one for COMMIT: BEGIN goes with the first statement", async () => {
    await clear();
    const insert = (n: number) => handle.db.execute(sql`INSERT INTO pipelined VALUES (${n})`);
    // Warm: each statement is prepared (described) once per connection, which is a round trip of its own.
    await handle.db.transaction(async (tx) => {
      await tx.execute(sql`INSERT INTO pipelined VALUES (${0})`);
      await tx.execute(sql`SELECT count(*) FROM pipelined WHERE n > ${0}`);
    });
    await insert(-1);
    const before = writes;
    await handle.db.transaction(async (tx) => {
      await tx.execute(sql`INSERT INTO pipelined VALUES (${1})`);
      await tx.execute(sql`SELECT count(*) FROM pipelined WHERE n > ${1}`);
    });
    expect(writes - before).toBe(3); // BEGIN + INSERT, SELECT, COMMIT
    expect(await rows()).toEqual([-1, 0, 1]);
  });

  it("writes nothing when a statement fails, and the error is the statement's", async () => {
    await clear();
    const failing = handle.db.transaction(async (tx) => {
      await tx.execute(sql`INSERT INTO pipelined VALUES (${1})`);
      await tx.execute(sql`INSERT INTO pipelined VALUES (${1})`);
    });
    await expect(failing).rejects.toMatchObject({ cause: { code: "23505" } }); // unique_violation
    expect(await rows()).toEqual([]);
  });

  it("is not reported committed when a failed statement's error was caught inside it", async () => {
    await clear();
    const swallowing = handle.db.transaction(async (tx) => {
      await tx.execute(sql`INSERT INTO pipelined VALUES (${1})`);
      await tx.execute(sql`INSERT INTO pipelined VALUES (${1})`).catch(() => undefined);
      return "done";
    });
    await expect(swallowing).rejects.toMatchObject({ message: expect.stringMatching(/rolled back/), cause: { code: "23505" } });
    expect(await rows()).toEqual([]);
  });

  it("refuses a first statement postgres.js could not send (an undefined parameter) and goes on serving", async () => {
    await clear();
    for (const position of ["first", "later"] as const) {
      const refused = handle.db.transaction(async (tx) => {
        if (position === "later") await tx.execute(sql`INSERT INTO pipelined VALUES (${1})`);
        await tx.execute(sql`INSERT INTO pipelined VALUES (${sql.param(undefined)})`);
      });
      await expect(refused).rejects.toMatchObject({ cause: { message: expect.stringMatching(/undefined/i) } });
      // A pool of one: a connection left waiting, or not handed back, would hang this.
      await handle.db.transaction((tx) => tx.execute(sql`INSERT INTO pipelined VALUES (${position === "first" ? 10 : 20})`));
    }
    expect(await rows()).toEqual([10, 20]);
  });

  it("rolls a failed savepoint back and keeps the rest", async () => {
    await clear();
    await handle.db.transaction(async (tx) => {
      await tx.execute(sql`INSERT INTO pipelined VALUES (${1})`);
      await expect(
        tx.transaction(async (savepoint) => {
          await savepoint.execute(sql`INSERT INTO pipelined VALUES (${2})`);
          throw new Error("undo the savepoint");
        }),
      ).rejects.toThrow("undo the savepoint");
      await tx.transaction((savepoint) => savepoint.execute(sql`INSERT INTO pipelined VALUES (${3})`));
    });
    expect(await rows()).toEqual([1, 3]);
  });

  it("hands its connection back after a failure: a pool of one goes on serving", async () => {
    await clear();
    for (let n = 1; n <= 3; n++) {
      await expect(
        handle.db.transaction(async (tx) => {
          await tx.execute(sql`INSERT INTO pipelined VALUES (${n})`);
          throw new Error("changed my mind");
        }),
      ).rejects.toThrow("changed my mind");
      await handle.db.transaction((tx) => tx.execute(sql`INSERT INTO pipelined VALUES (${n * 10})`));
    }
    expect(await rows()).toEqual([10, 20, 30]);
  });

  it("fails when its connection is cut, and the pool connects again for the next one", async () => {
    await clear();
    const cut = handle.db.transaction(async (tx) => {
      await tx.execute(sql`INSERT INTO pipelined VALUES (${1})`);
      cutConnections();
      await tx.execute(sql`INSERT INTO pipelined VALUES (${2})`);
    });
    await expect(cut).rejects.toMatchObject({ cause: { code: "CONNECTION_CLOSED" } });
    await handle.db.transaction((tx) => tx.execute(sql`INSERT INTO pipelined VALUES (${3})`));
    expect(await rows()).toEqual([3]);
  });

  it("refuses the next statement when its connection closed between two (postgres.js would write to the closed socket)", async () => {
    await clear();
    const closedMeanwhile = handle.db.transaction(async (tx) => {
      await tx.execute(sql`INSERT INTO pipelined VALUES (${1})`);
      cutConnections();
      await new Promise((resolve) => setTimeout(resolve, 100)); // the close is seen before the next statement
      await tx.execute(sql`INSERT INTO pipelined VALUES (${2})`);
    });
    await expect(closedMeanwhile).rejects.toMatchObject({ cause: { message: expect.stringMatching(/connection to Postgres is gone/) } });
    await handle.db.transaction((tx) => tx.execute(sql`INSERT INTO pipelined VALUES (${3})`));
    expect(await rows()).toEqual([3]);
  });
});
