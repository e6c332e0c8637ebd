// A body limit for a server (hono's bodyLimit): a larger body is refused with 413 and a message that names the
// limit and the setting that moves it, before it is read whole.
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";

/** A size for a message: "32 MB", "1.5 MB". */
export const megabytes = (bytes: number) => `${Math.round((bytes / (1024 * 1024)) * 100) / 100} MB`;

export function limitBodies(maxBytes: number, what: string, setting: string): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) => c.json({ error: `The request body is over ${what}'s limit of ${megabytes(maxBytes)} (${setting})` }, 413),
  });
}
