// The install's secrets: made once, kept, readable by their owner alone; a broken file is an error that says so.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, expect, it } from "vitest";
import { installSecrets, loadPlatformSecrets, platformSecretsFile, sameSecret } from "../../lib/install-secrets";

const dirs: string[] = [];
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "secrets-"));
  dirs.push(dir);
  return dir;
};
afterEach(() => dirs.splice(0).forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

it("makes each secret once, 0600, and gives the same ones on the next start", () => {
  const dir = path.join(tempDir(), "data");
  const first = loadPlatformSecrets(dir);
  expect(first.accessToken).toMatch(/^tr_pat_[0-9a-f]{40}$/);
  expect(first.dashboardToken).toMatch(/^[0-9a-f]{48}$/);
  expect(fs.statSync(platformSecretsFile(dir)).mode & 0o777).toBe(0o600);
  expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
  expect(loadPlatformSecrets(dir)).toEqual(first);
  expect(loadPlatformSecrets(tempDir()).accessToken).not.toBe(first.accessToken);
});

it("keeps what is there, adds what is missing, and tightens a file others could read", () => {
  const file = path.join(tempDir(), "app.json");
  fs.writeFileSync(file, JSON.stringify({ kept: "old" }), { mode: 0o644 });
  const secrets = installSecrets(file, { kept: () => "new", added: () => "made" });
  expect(secrets).toEqual({ kept: "old", added: "made" });
  expect(fs.statSync(file).mode & 0o777).toBe(0o600);
});

it("a broken file is an error naming it, and is left as it was", () => {
  const file = path.join(tempDir(), "broken.json");
  fs.writeFileSync(file, "{ not json", { mode: 0o600 });
  expect(() => installSecrets(file, { a: () => "x" })).toThrow(new RegExp(`${file} is not valid JSON.*fix or delete it`));
  fs.writeFileSync(file, JSON.stringify({ a: 5 }));
  expect(() => installSecrets(file, { a: () => "x" })).toThrow(/must be a JSON object of non-empty strings/);
  expect(fs.readFileSync(file, "utf8")).toBe('{"a":5}');
});

it("sameSecret: equal strings only, and never an empty expected secret", () => {
  expect(sameSecret("tr_pat_abc", "tr_pat_abc")).toBe(true);
  expect(sameSecret("tr_pat_abd", "tr_pat_abc")).toBe(false);
  expect(sameSecret("tr_pat_ab", "tr_pat_abc")).toBe(false);
  expect(sameSecret("", "")).toBe(false);
  expect(sameSecret("", undefined)).toBe(false);
});
