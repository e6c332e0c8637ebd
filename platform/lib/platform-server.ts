// The local Trigger.dev platform: one HTTP server on loopback with the API the pinned CLI and SDK speak,
// socket.io's /dev-worker namespace for run notifications, and the timers. All state is in Postgres, so
// stopping and starting it loses nothing.
import { EventEmitter } from "node:events";
import type { Server as HttpServer } from "node:http";
import { Hono } from "hono";
import { Server as SocketServer } from "socket.io";
import { createDatabaseHandle } from "./db/client";
import { migratePlatform } from "./db/migrate";
import { limitBodies } from "./http/body-limit";
import { listen } from "./http/listen";
import { refuseForeignRequest } from "./http/request-guard";
import { randomToken } from "./install-secrets";
import { bearerToken, requireAccessToken, requireEnvironmentKey } from "./api/auth";
import { authApi } from "./api/auth-api";
import { batchesApi } from "./api/batches-api";
import { bulkActionsApi } from "./api/bulk-actions-api";
import { cliApi } from "./api/cli-api";
import { devEngineApi } from "./api/dev-engine-api";
import { envvarsApi } from "./api/envvars-api";
import { errorResponse, type PlatformEnv } from "./api/http-context";
import { otelApi } from "./api/otel-api";
import { packetsApi, presignedPacketsApi } from "./api/packets-api";
import { crossOriginAllowed, publicRouteCors } from "./api/public-routes";
import { RouteTimings } from "./api/route-timings";
import { PlatformMetrics } from "./metrics/platform-metrics";
import { dashboardRoutes, type DashboardExtension } from "./dashboard/dashboard-routes";
import { dashboardSecrets, SESSION_COOKIE } from "./dashboard/dashboard-session";
import { runsApi } from "./api/runs-api";
import { realtimeApi } from "./api/realtime-api";
import { isStreamUpload, streamsApi } from "./api/streams-api";
import { queuesApi } from "./api/queues-api";
import { schedulesApi, timezonesApi } from "./api/schedules-api";
import { tokenCallbackApi, waitsApi } from "./api/waits-api";
import { RunEngine } from "./engine";
import { RunEventBuffer } from "./engine/run-event-buffer";
import { ShapeFeeds } from "./realtime/shape-feed";
import { roomFor } from "./engine/run-notifier";
import { ensureProjectEnvironment, environmentByApiKey, setEnvironmentKey } from "./environments";
import type { PlatformContext, PlatformOptions } from "./platform-context";

const DEFAULT_BODY_LIMIT_BYTES = 32 * 1024 * 1024;
/** Its statements are short and this is a developer's machine: more connections than this only queue in
 *  Postgres, and each idle one holds a backend's memory (and, with prepared statements, their plans). */
const DEFAULT_POOL_SIZE = 10;

export type StartPlatformOptions = {
  /** The Postgres the platform keeps its state in (schema trigger_platform, migrated on start). */
  databaseUrl: string;
  /** 0 picks a free port. */
  port: number;
  /** Connections in the platform's pool (default 10). */
  poolSize?: number;
  options: PlatformOptions;
  /** Pages beside the platform's own in its dashboard (the stack adds orders, inventory, mail). */
  dashboard?: DashboardExtension;
};
export type RunningPlatform = Awaited<ReturnType<typeof startPlatform>>;
const headerOf = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

export type CliPresence = { projectRef: string; connected: boolean };

export async function startPlatform({ databaseUrl, port, poolSize, options: given, dashboard }: StartPlatformOptions) {
  // Tokens not handed in are made for this start alone: nothing is ever open for want of a setting.
  const options = {
    ...given,
    accessToken: given.accessToken ?? randomToken("tr_pat_", 20),
    bodyLimitBytes: given.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES, // stream uploads read it too
    dashboardToken: given.dashboardToken ?? randomToken(),
  };
  await migratePlatform(databaseUrl);
  const database = createDatabaseHandle(databaseUrl, { max: poolSize ?? DEFAULT_POOL_SIZE });
  const db = database.db;
  const engine = new RunEngine({ db, options });
  const { notifier } = engine;
  const app = new Hono<PlatformEnv>();
  const ctx: PlatformContext = {
    ...engine.context,
    engine,
    runEvents: new RunEventBuffer(db),
    shapeFeeds: new ShapeFeeds((listener) => notifier.onChange(listener)),
    realtimeStreamKeys: (runIds) => engine.streams.outputKeys(runIds),
    api: async (path, init) => app.request(path, init),
  };

  app.use("*", async (c, next) => {
    c.set("platform", ctx);
    await next();
  });
  app.onError((error, c) => errorResponse(c, error));
  const limitBody = limitBodies(options.bodyLimitBytes, "the platform", "PLATFORM_BODY_LIMIT_MB");
  // A stream upload is read line by line as it arrives, under its own limits (streams-api.ts): the body limit
  // would read it whole first, and its readers would see nothing until the task's pipe ended.
  app.use("*", (c, next) => (isStreamUpload(c.req.method, c.req.path) ? next() : limitBody(c, next)));
  const timings = new RouteTimings();
  app.use("*", timings.middleware());
  app.use("*", publicRouteCors); // the routes a browser may call with a public token, from any site
  app.get("/_platform/timings", requireAccessToken, (c) => c.json({ routes: timings.report() }));
  // Prometheus scrapes every project's numbers: the access token's holder only, as for the timings.
  const metrics = new PlatformMetrics(engine.context);
  engine.onDequeueTimed = (seconds) => metrics.dequeueDuration.observe(seconds);
  app.get("/metrics", requireAccessToken, async (c) => {
    if (c.var.caller.kind !== "access-token")
      return c.json({ error: "The metrics need the platform's access token, not a project's key" }, 403);
    const { contentType, body } = await metrics.exposition();
    return c.body(body, 200, { "content-type": contentType });
  });
  // Routes that authenticate otherwise come first: the CLI's own (access token) and token callbacks (none).
  app.route("/", envvarsApi); // the SDK's envvars.*, with the CLI's credentials
  app.route("/", cliApi);
  app.route("/", tokenCallbackApi);
  app.route("/", presignedPacketsApi); // the signature is the credential
  app.route("/", timezonesApi); // public, as on Trigger.dev
  app.route("/", otelApi); // task processes export here, with their project's key
  // Everything else belongs to one environment and needs its secret key.
  app.use("/api/*", requireEnvironmentKey);
  app.use("/engine/*", requireEnvironmentKey);
  app.use("/realtime/*", requireEnvironmentKey);
  app.route("/", authApi);
  app.route("/", devEngineApi);
  app.route("/", runsApi);
  app.route("/", realtimeApi);
  app.route("/", streamsApi);
  app.route("/", bulkActionsApi);
  app.route("/", waitsApi);
  app.route("/", batchesApi);
  app.route("/", schedulesApi);
  app.route("/", queuesApi);
  app.route("/", packetsApi);
  app.route("/", dashboardRoutes(dashboard));
  app.notFound((c) => c.json({ error: `The local platform has no route ${c.req.method} ${c.req.path}` }, 404));

  const listening = await listen(app, {
    port,
    name: "The local Trigger.dev platform",
    portVariable: "PLATFORM_PORT",
    allowedHosts: options.allowedHosts,
    crossOrigin: crossOriginAllowed,
  });
  ctx.origin = engine.context.origin = listening.url;
  // Node's requestTimeout (300 s) stays: it bounds a body trickled in byte by byte on every route. A stream
  // upload longer than that is cut and the SDK's writer resumes it (HEAD, then X-Resume-From-Chunk).

  // The CLI subscribes to the runs it executes and is told when one changes (run:notify).
  const io = new SocketServer(listening.server as HttpServer, {
    serveClient: false,
    transports: ["websocket"],
    // The upgrade passes by the fetch handler's checks: the same ones, here.
    allowRequest: (request, answer) => {
      const refusal = refuseForeignRequest(
        { get: (name) => headerOf(request.headers[name]) },
        listening.hosts(),
        "The local Trigger.dev platform",
      );
      answer(refusal?.message ?? null, refusal === undefined);
    },
  });
  const devWorkers = io.of("/dev-worker");
  devWorkers.use((socket, next) => {
    const token = bearerToken(socket.handshake.headers.authorization);
    environmentByApiKey(db, token)
      .then((env) => {
        if (!env) return next(new Error("Invalid API key"));
        (socket.data as { projectRef?: string }).projectRef = env.projectRef;
        next();
      })
      .catch((error: Error) => next(error));
  });
  // A running `trigger.dev dev` keeps one socket open: its coming and going is the CLI's presence.
  const presence = new EventEmitter<{ change: [CliPresence] }>();
  devWorkers.on("connection", (socket) => {
    const projectRef = (socket.data as { projectRef?: string }).projectRef ?? "?";
    presence.emit("change", { projectRef, connected: true });
    socket.on("disconnect", () => presence.emit("change", { projectRef, connected: false }));
    socket.on("run:subscribe", ({ runFriendlyIds }: { runFriendlyIds: string[] }) => {
      for (const id of runFriendlyIds ?? []) void socket.join(roomFor(id));
    });
    socket.on("run:unsubscribe", ({ runFriendlyIds }: { runFriendlyIds: string[] }) => {
      for (const id of runFriendlyIds ?? []) void socket.leave(roomFor(id));
    });
  });
  notifier.attach(devWorkers);

  // The default project exists from the start, so backend code can trigger before any CLI connects.
  let defaultEnvironment = await ensureProjectEnvironment(db, options.defaultProjectRef, options);
  if (options.secretKey) defaultEnvironment = await setEnvironmentKey(db, defaultEnvironment, options.secretKey);
  await engine.start();

  return {
    url: listening.url,
    port: listening.port,
    /** The default project's secret key (for the SDK in backend code). */
    secretKey: defaultEnvironment.apiKey,
    /** What the CLI presents as TRIGGER_ACCESS_TOKEN. */
    accessToken: options.accessToken,
    /** The dashboard link that logs its opener in (the banner prints it; keep it to yourself). */
    loginUrl: `${listening.url}/?token=${options.dashboardToken}`,
    /** The dashboard's session as a Cookie header, for tools and tests that fetch its pages. */
    sessionCookie: `${SESSION_COOKIE}=${dashboardSecrets(options.dashboardToken).session}`,
    context: ctx,
    timings,
    /** Tells `listener` when a project's `trigger.dev dev` connects or goes away; returns the unsubscribe. */
    onCliPresence(listener: (change: CliPresence) => void): () => void {
      presence.on("change", listener);
      return () => presence.off("change", listener);
    },
    async close() {
      await engine.stop();
      await ctx.runEvents.flush();
      void io.close(); // also closes the HTTP server; listening.close() ends its keep-alive sockets
      await listening.close();
      await database.close();
    },
  };
}
