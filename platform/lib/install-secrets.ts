// Secrets made once per install and kept in the data directory, readable by its owner alone (0600): the
// platform's access token, its dashboard login token, the embedded Postgres password. Random, so neither
// another user of the machine nor a web page can guess them; kept, so links and keys survive a restart.
import { randomBytes, timingSafeEqual, createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";

/** A random token, hex (safe in URLs, headers and shell lines). */
export const randomToken = (prefix = "", bytes = 24) => `${prefix}${randomBytes(bytes).toString("hex")}`;

/** Whether two secrets are equal, in a time that does not depend on how much of them matches. */
export function sameSecret(given: string, expected: string | undefined): boolean {
  if (!expected) return false; // no secret is nobody's
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

const StoredSecrets = z.record(z.string(), z.string().min(1));

export class InstallSecretsError extends Error {
  override name = "InstallSecretsError";
}

/**
 * The named secrets in `file`: those already there are kept, the missing ones are made with their maker and
 * written (atomically, mode 0600, in a folder of mode 0700 when it is made here). A file others can read is
 * tightened to 0600.
 */
export function installSecrets<Name extends string>(file: string, makers: Record<Name, () => string>): Record<Name, string> {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  let stored: Record<string, string> = {};
  if (fs.existsSync(file)) {
    if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
    let json: unknown;
    try {
      json = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (error) {
      throw new InstallSecretsError(
        `${file} is not valid JSON (${error instanceof Error ? error.message : String(error)}): fix or delete it`,
      );
    }
    const parsed = StoredSecrets.safeParse(json);
    if (!parsed.success) throw new InstallSecretsError(`${file} must be a JSON object of non-empty strings: fix or delete it`);
    stored = parsed.data;
  }
  const names = Object.keys(makers) as Name[];
  const missing = names.filter((name) => stored[name] === undefined);
  if (missing.length > 0) {
    for (const name of missing) stored[name] = makers[name]();
    const temporary = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
    fs.renameSync(temporary, file);
  }
  return Object.fromEntries(names.map((name) => [name, stored[name]!])) as Record<Name, string>;
}

/** The platform's own secrets, in `<DATA_DIR>/local-trigger-secrets.json`. */
export type PlatformSecrets = { accessToken: string; dashboardToken: string; postgresPassword: string };

export const platformSecretsFile = (dataDir: string) => path.join(dataDir, "local-trigger-secrets.json");

export function loadPlatformSecrets(dataDir: string): PlatformSecrets {
  return installSecrets(platformSecretsFile(dataDir), {
    accessToken: () => randomToken("tr_pat_", 20),
    dashboardToken: () => randomToken("", 24),
    postgresPassword: () => randomToken("", 18),
  });
}
