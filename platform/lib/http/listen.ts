// Starts a Hono app on a loopback port and stops it cleanly. A taken port is a plain error that says which
// setting moves it, not an EADDRINUSE stack trace.
import net, { type AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import { LOCALHOST } from "../config";
import { allowedHostsOf, refuseForeignRequest } from "./request-guard";

export type Listening = {
  url: string;
  port: number;
  server: ServerType;
  /** What a request's Host may name (for servers that take requests past the fetch handler, as socket.io does). */
  hosts: () => Set<string>;
  close: () => Promise<void>;
};

export class PortTakenError extends Error {
  override name = "PortTakenError";
}

/** Anything with a fetch handler, as a Hono app has. */
type FetchApp = { fetch: Parameters<typeof serve>[0]["fetch"] };

export type ListenOptions = {
  port: number;
  name: string;
  portVariable: string;
  /** Hosts requests may name besides the loopback names (ALLOWED_HOSTS). */
  allowedHosts?: readonly string[];
  /** Requests any site's page may send (routes with CORS, whose credential is a bearer token, never a cookie).
   *  Their Host is checked all the same. */
  crossOrigin?: (request: Request) => boolean;
};

/** Serves `app` on loopback; a request naming another Host or sent by another site's page never reaches it. */
export async function listen(app: FetchApp, options: ListenOptions): Promise<Listening> {
  let hosts = new Set<string>(); // known once the port is
  const guarded: FetchApp["fetch"] = (request, ...rest) => {
    const refusal = refuseForeignRequest(request.headers, hosts, options.name, () => options.crossOrigin?.(request) ?? false);
    if (refusal) return Response.json({ error: refusal.message }, { status: refusal.status });
    return app.fetch(request, ...rest);
  };
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: guarded, port: options.port, hostname: LOCALHOST }, (info: AddressInfo) => {
      const url = `http://${LOCALHOST}:${info.port}`;
      hosts = allowedHostsOf(info.port, options.allowedHosts);
      resolve({
        url,
        port: info.port,
        server,
        hosts: () => hosts,
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
