// The embedded Postgres takes the install's own password: a new cluster is made with it, and a cluster made
// before installs had their own (password "postgres", public) is given it on start, so the old one stops
// working. A folder of another install (neither password) is a clear error.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import { afterAll, expect, it } from "vitest";
import { embeddedPostgresUrl, startEmbeddedPostgres } from "../../lib/db/embedded-postgres";
import { freePort } from "../../lib/http/listen";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "pg-password-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

async function connects(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    await sql`select 1`;
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === "28P01") return false;
    throw error;
  } finally {
    await sql.end();
  }
}

it("a cluster with the old public password adopts the install's; the public one then fails; a third password is refused", async () => {
  const dataDir = path.join(root, "cluster");
  const port = await freePort();
  const old = await startEmbeddedPostgres({ dataDir, port, ephemeral: true });
  expect(await connects(embeddedPostgresUrl(port))).toBe(true);
  await old.stop();

  const own = "0123456789abcdef0123456789abcdef";
  const adopted = await startEmbeddedPostgres({ dataDir, port, ephemeral: true, password: own });
  try {
    expect(adopted.url).toBe(embeddedPostgresUrl(port, own));
    expect(await connects(adopted.url)).toBe(true);
    expect(await connects(embeddedPostgresUrl(port))).toBe(false);
  } finally {
    await adopted.stop();
  }

  await expect(startEmbeddedPostgres({ dataDir, port, ephemeral: true, password: "another-install-password-0123" })).rejects.toThrow(
    /takes neither this install's password nor the old default.*DATA_DIR/,
  );
}, 120_000);
