// A wait token's callback URL, as Trigger.dev makes it: the token's id and an HMAC of it under the
// environment's secret key. Whoever is handed the URL can complete that token (a webhook from another
// service, say) and nothing else; the id alone, which lists and dashboards show, opens nothing.
import { createHmac } from "node:crypto";
import { sameSecret } from "../install-secrets";

const hashOf = (tokenId: string, apiKey: string) => createHmac("sha256", apiKey).update(tokenId).digest("hex");

export const tokenCallbackUrl = (origin: string, tokenId: string, apiKey: string) =>
  `${origin}/api/v1/waitpoints/tokens/${tokenId}/callback/${hashOf(tokenId, apiKey)}`;

export function isTokenCallbackHash(tokenId: string, hash: string, apiKey: string): boolean {
  return sameSecret(hash, hashOf(tokenId, apiKey));
}
