// Which requests a loopback server answers: those that name it in Host, and that come from its own pages or
// from no page at all (Origin). Loopback is not a wall: any web page the developer has open can send a
// cross-site form or a no-cors fetch to 127.0.0.1, and through DNS rebinding (attacker.example resolving to
// 127.0.0.1) even read the answers; its requests then name attacker.example as Host or its own site as Origin.
// The answer Vite and webpack-dev-server give (allowedHosts): 421 for a foreign Host, 403 for a foreign Origin.
import { LOCALHOST } from "../config";

export type RequestRefusal = { status: 421 | 403; message: string };

/** The headers of a request, however the server holds them. */
export type RequestHeaders = { get(name: string): string | null | undefined };

const LOOPBACK_NAMES = [LOCALHOST, "localhost", "[::1]"];

/** What the `Host` of a request to this server may be: loopback names with the port, and ALLOWED_HOSTS. */
export function allowedHostsOf(port: number, allowedHosts: readonly string[] = []): Set<string> {
  const hosts = new Set(LOOPBACK_NAMES.map((name) => `${name}:${port}`));
  for (const host of allowedHosts) hosts.add(/:\d+$/.test(host) ? host.toLowerCase() : `${host.toLowerCase()}:${port}`);
  return hosts;
}

/** The refusal of a request that names another host or comes from another site's page, else undefined.
 *  `anyOrigin`: whether the request is one any site may send (a CORS route), when only its Host counts; asked
 *  only of a request from a page. */
export function refuseForeignRequest(
  headers: RequestHeaders,
  hosts: Set<string>,
  serverName: string,
  anyOrigin: () => boolean = () => false,
): RequestRefusal | undefined {
  const host = (headers.get("host") ?? "").toLowerCase();
  const named = () => [...hosts].join(", ");
  if (!hosts.has(host))
    return {
      status: 421,
      message: `${serverName} answers only requests to ${named()}, not to Host "${host.slice(0, 100)}". To reach it under another name, add that name to ALLOWED_HOSTS.`,
    };
  const origin = headers.get("origin");
  const crossSite = headers.get("sec-fetch-site") === "cross-site";
  if ((origin === null || origin === undefined) && !crossSite) return undefined; // not sent by a page
  if (anyOrigin()) return undefined;
  if (origin !== null && origin !== undefined && !hosts.has(originHost(origin)))
    return {
      status: 403,
      message: `${serverName} refuses requests from pages of another site (Origin "${origin.slice(0, 100)}"). Its own pages are at ${named()}; ALLOWED_HOSTS adds more.`,
    };
  // Browsers send Origin on every POST; a cross-site one without it is refused all the same.
  if (crossSite && origin == null && headers.get("sec-fetch-mode") !== "navigate")
    return { status: 403, message: `${serverName} refuses requests from pages of another site (Sec-Fetch-Site: cross-site).` };
  return undefined;
}

function originHost(origin: string): string {
  try {
    const url = new URL(origin);
    return url.protocol === "http:" || url.protocol === "https:"
      ? url.port
        ? url.host
        : `${url.hostname}:${url.protocol === "http:" ? 80 : 443}`
      : "";
  } catch {
    return ""; // "null" (a sandboxed frame, a file) and anything unparsable are nobody's
  }
}
