// Which Host and Origin a loopback server answers (DNS rebinding, cross-site pages), checked directly.
import { describe, expect, it } from "vitest";
import { allowedHostsOf, refuseForeignRequest } from "../../lib/http/request-guard";

const headers = (values: Record<string, string>) => ({ get: (name: string) => values[name] ?? null });
const hosts = allowedHostsOf(3030, ["devbox.lan", "10.0.0.5:8443"]);
const verdict = (values: Record<string, string>) => refuseForeignRequest(headers(values), hosts, "The server")?.status ?? "ok";

describe("Host", () => {
  it.each([
    ["127.0.0.1:3030", "ok"],
    ["localhost:3030", "ok"],
    ["LOCALHOST:3030", "ok"],
    ["[::1]:3030", "ok"],
    ["devbox.lan:3030", "ok"],
    ["10.0.0.5:8443", "ok"],
    ["127.0.0.1:3031", 421],
    ["127.0.0.1", 421],
    ["attacker.example", 421],
    ["localhost.attacker.example:3030", 421],
    ["devbox.lan:80", 421],
    ["", 421],
  ])("%s → %s", (host, expected) => expect(verdict({ host })).toBe(expected));

  it("names ALLOWED_HOSTS in its refusal", () => {
    expect(refuseForeignRequest(headers({ host: "evil" }), hosts, "The server")?.message).toMatch(/ALLOWED_HOSTS/);
  });
});

describe("Origin", () => {
  it.each([
    ["http://127.0.0.1:3030", "ok"],
    ["http://localhost:3030", "ok"],
    ["http://devbox.lan:3030", "ok"],
    ["http://attacker.example", 403],
    ["http://127.0.0.1:3000", 403],
    ["null", 403],
    ["file://", 403],
    ["not a url", 403],
  ])("%s → %s", (origin, expected) => expect(verdict({ host: "127.0.0.1:3030", origin })).toBe(expected));

  it("a cross-site fetch without Origin is refused; a navigation from another site (a link) is not", () => {
    expect(verdict({ host: "127.0.0.1:3030", "sec-fetch-site": "cross-site", "sec-fetch-mode": "no-cors" })).toBe(403);
    expect(verdict({ host: "127.0.0.1:3030", "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate" })).toBe("ok");
    expect(verdict({ host: "127.0.0.1:3030" })).toBe("ok"); // the CLI, the SDK, curl
  });
});
