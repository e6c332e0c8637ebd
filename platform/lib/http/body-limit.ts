// A body limit for a server (hono's bodyLimit): a larger body is refused with 413 and a message that names the
// limit and the setting that moves it, before it is read whole.
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";

export function limitBodies(maxBytes: number, what: string, setting: string): MiddlewareHandler {
  const megabytes = Math.round((maxBytes / (1024 * 1024)) * 100) / 100;
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) => c.json({ error: `The request body is over ${what}'s limit of ${megabytes} MB (${setting})` }, 413),
  });
}
