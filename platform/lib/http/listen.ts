// Starts a Hono app on a loopback port and stops it cleanly. A taken port is a plain error that says which
// setting moves it, not an EADDRINUSE stack trace.
import net, { type AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import { LOCALHOST } from "../config";

export type Listening = { url: string; port: number; server: ServerType; close: () => Promise<void> };

export class PortTakenError extends Error {
  override name = "PortTakenError";
}

/** Anything with a fetch handler, as a Hono app has. */
type FetchApp = { fetch: Parameters<typeof serve>[0]["fetch"] };

export async function listen(app: FetchApp, options: { port: number; name: string; portVariable: string }): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: options.port, hostname: LOCALHOST }, (info: AddressInfo) => {
      const url = `http://${LOCALHOST}:${info.port}`;
      resolve({
        url,
        port: info.port,
        server,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            // Keep-alive sockets would hold close() open; end them.
            if ("closeAllConnections" in server) server.closeAllConnections();
          }),
      });
    });
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "EADDRINUSE"
          ? new PortTakenError(
              `${options.name} cannot listen on ${LOCALHOST}:${options.port}: the port is taken. Stop what uses it or set ${options.portVariable}.`,
            )
          : error,
      );
    });
  });
}

/** A loopback port free at the time of asking (for tests and benchmarks that run beside `npm start`). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, LOCALHOST, () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}
