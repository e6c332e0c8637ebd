// Presigned URLs for packets (large payloads and outputs, see api/packets-api.ts): /packets/<env>/<key> on this
// platform, with the method, an expiry and an HMAC of them under the environment's key.
import { createHmac } from "node:crypto";
import type { ProjectEnvironment } from "./environments";
import { sameSecret } from "./install-secrets";

const URL_LIFETIME_MS = 60 * 60 * 1000;
/** What a stored packet's payloadType/outputType says. */
export const STORE_DATA_TYPE = "application/store";

export type PacketMethod = "GET" | "PUT";

const signatureOf = (apiKey: string, method: PacketMethod, envId: string, key: string, expires: number) =>
  createHmac("sha256", apiKey).update(`${method}\n${envId}\n${key}\n${expires}`).digest("hex");

/** A URL on the platform at `origin` that lets its holder `method` the packet `key` of `env` for the next hour. */
export function presignedPacketUrl(
  origin: string,
  env: Pick<ProjectEnvironment, "id" | "apiKey">,
  key: string,
  method: PacketMethod,
): string {
  const expires = Date.now() + URL_LIFETIME_MS;
  const query = new URLSearchParams({ method, expires: String(expires), signature: signatureOf(env.apiKey, method, env.id, key, expires) });
  return `${origin}/packets/${encodeURIComponent(env.id)}/${encodeURIComponent(key)}?${query}`;
}

export const isPacketSignature = (signature: string, apiKey: string, method: PacketMethod, envId: string, key: string, expires: number) =>
  sameSecret(signature, signatureOf(apiKey, method, envId, key, expires));
