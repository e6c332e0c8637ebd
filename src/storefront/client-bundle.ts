// The status page's script, bundled for the browser with esbuild on first request and kept in memory (the
// SDK's client and its dependencies make about 800 KB minified; bundling takes a second or two, once).
import path from "node:path";
import { build } from "esbuild";

const ENTRY = path.join(import.meta.dirname, "order-status-client.ts");
let bundled: Promise<string> | undefined;

export function orderStatusScript(): Promise<string> {
  bundled ??= build({
    entryPoints: [ENTRY],
    bundle: true,
    platform: "browser",
    format: "esm",
    minify: true,
    write: false,
    logLevel: "silent",
    // Loaded only by a transport the browser never takes (S2's HTTP/2 sessions, behind a dynamic import).
    external: ["node:http2"],
  })
    .then((result) => result.outputFiles[0]!.text)
    .catch((error: unknown) => {
      bundled = undefined; // the next request tries again
      throw error;
    });
  return bundled;
}
