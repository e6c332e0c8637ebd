// A body limit for a server: a larger body is refused with 413 and a message that names the limit and the
// setting that moves it, before it is read whole.
import type { IncomingMessage } from "node:http";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";

/** A size for a message: "32 MB", "1.5 MB". */
export const megabytes = (bytes: number) => `${Math.round((bytes / (1024 * 1024)) * 100) / 100} MB`;

/**
 * hono's bodyLimit asks for the request's body stream first, which makes @hono/node-server build a whole web
 * Request (a web stream over Node's, an AbortController) for every request, where it otherwise reads a body
 * straight from Node's: that cost the platform a sixth of its CPU. So a declared length is checked as it is
 * (Node's parser never reads past it), and a chunked body (the OTLP exporters send theirs so) is counted as
 * it is read from Node's stream and handed on as `rawBody`, which @hono/node-server reads in place of the
 * stream. Outside Node's server (app.request in tests) hono's bodyLimit does it all.
 */
export function limitBodies(maxBytes: number, what: string, setting: string): MiddlewareHandler {
  const refuse = (c: Context) => c.json({ error: `The request body is over ${what}'s limit of ${megabytes(maxBytes)} (${setting})` }, 413);
  const webLimit = bodyLimit({ maxSize: maxBytes, onError: refuse });
  return async (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    const length = c.req.header("content-length");
    if (length !== undefined && c.req.header("transfer-encoding") === undefined) return Number(length) > maxBytes ? refuse(c) : next();
    const incoming = (c.env as { incoming?: IncomingMessage & { rawBody?: Buffer } } | undefined)?.incoming;
    if (!incoming) return webLimit(c, next);
    if (incoming.readableEnded) return next(); // read already, before this limit: nothing left to count
    const body = await readUpTo(incoming, maxBytes);
    if (!body) {
      c.header("connection", "close");
      return refuse(c);
    }
    incoming.rawBody = body;
    return next();
  };
}

/** The whole body, or undefined as soon as it passes `maxBytes`: the rest is left unread, and the 413 closes
 *  the connection. */
function readUpTo(incoming: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => incoming.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose);
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      stop();
      incoming.pause();
      resolve(undefined);
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    const onClose = () => onError(new Error("The client closed the connection before the request's body ended"));
    incoming.on("data", onData).once("end", onEnd).once("error", onError).once("close", onClose);
  });
}
