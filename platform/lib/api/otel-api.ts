// OTLP/HTTP (JSON) from the task processes: spans and log lines, kept per run (the run id travels in the
// "ctx.run.id" attribute) for the dashboard's run page. Metrics are accepted and dropped.
// A bad value costs only itself and a bad record only itself (otlp-records.ts; both reported in OTLP's
// partialSuccess); a full buffer answers 503 with Retry-After, which the OTLP exporters honour and retry.
import { Hono } from "hono";
import { z } from "zod";
import type { PlatformHttpContext, PlatformEnv } from "./http-context";
import { requireEnvironmentKey } from "./auth";
import { OtlpRecords } from "./otlp-records";

/** What a 503 asks the exporter to wait: Postgres writes thousands of these rows a second. */
const RETRY_AFTER_SECONDS = 1;

// The envelope must be OTLP; the records inside are read one by one (OtlpRecords), so one bad one is not the request's.
const Resource = z.object({ attributes: z.unknown().optional() }).nullish();
const TracesRequest = z.object({
  resourceSpans: z
    .array(z.object({ resource: Resource, scopeSpans: z.array(z.object({ spans: z.array(z.unknown()).default([]) })).default([]) }))
    .default([]),
});
const LogsRequest = z.object({
  resourceLogs: z
    .array(z.object({ resource: Resource, scopeLogs: z.array(z.object({ logRecords: z.array(z.unknown()).default([]) })).default([]) }))
    .default([]),
});

/** The body as JSON; undefined when it is not (an exporter set to protobuf): a 400, not a 200 that stores nothing. */
const jsonBody = (c: PlatformHttpContext): Promise<unknown> => c.req.json<unknown>().catch(() => undefined);

const notOtlpJson = (c: PlatformHttpContext) => c.json({ code: 3, message: "Only OTLP/HTTP JSON is accepted here" }, 400);

/** Hands the rows to the buffer; answers OTLP's partial success, or 503 + Retry-After while the buffer stays full. */
async function store(c: PlatformHttpContext, records: OtlpRecords, signal: "spans" | "logRecords") {
  const runEvents = c.var.platform.runEvents;
  if (!(await runEvents.admit(c.var.env.id, records.rows, { repaired: records.repaired, rejected: records.rejected }))) {
    c.header("Retry-After", String(RETRY_AFTER_SECONDS));
    // OTLP/HTTP: an error body is a google.rpc.Status; 14 is UNAVAILABLE.
    const message = `The platform's run event buffer is full (${runEvents.held.rows} rows waiting for Postgres); retry after ${RETRY_AFTER_SECONDS} s`;
    return c.json({ code: 14, message }, 503);
  }
  return c.json({ partialSuccess: records.partialSuccess(signal) });
}

export const otelApi = new Hono<PlatformEnv>()
  // The task processes send their project's key (OTEL_EXPORTER_OTLP_HEADERS, handed out when an attempt starts).
  .use("/otel/*", requireEnvironmentKey)
  .post("/otel/v1/traces", async (c) => {
    const body = TracesRequest.safeParse(await jsonBody(c));
    if (!body.success) return notOtlpJson(c);
    const records = new OtlpRecords(new Date());
    for (const rs of body.data.resourceSpans) {
      const resource = records.resource(rs.resource?.attributes);
      for (const ss of rs.scopeSpans) for (const span of ss.spans) records.addSpan(span, resource);
    }
    return store(c, records, "spans");
  })
  .post("/otel/v1/logs", async (c) => {
    const body = LogsRequest.safeParse(await jsonBody(c));
    if (!body.success) return notOtlpJson(c);
    const records = new OtlpRecords(new Date());
    for (const rl of body.data.resourceLogs) {
      const resource = records.resource(rl.resource?.attributes);
      for (const sl of rl.scopeLogs) for (const record of sl.logRecords) records.addLog(record, resource);
    }
    return store(c, records, "logRecords");
  })
  .post("/otel/v1/metrics", (c) => c.json({ partialSuccess: {} }));
