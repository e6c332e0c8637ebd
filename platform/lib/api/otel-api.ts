// OTLP/HTTP (JSON) from the task processes: spans and log lines, kept per run (the run id travels in the
// "ctx.run.id" attribute) for the dashboard's run page. Metrics are accepted and dropped.
import { Hono } from "hono";
import { z } from "zod";
import { internalId } from "../ids";
import type { PlatformEnv } from "./http-context";

const AnyValue: z.ZodType<OtlpValue> = z.lazy(() =>
  z.object({
    stringValue: z.string().optional(),
    boolValue: z.boolean().optional(),
    intValue: z.union([z.string(), z.number()]).optional(),
    doubleValue: z.number().optional(),
    arrayValue: z.object({ values: z.array(AnyValue).optional() }).optional(),
    kvlistValue: z.object({ values: z.array(z.object({ key: z.string(), value: AnyValue })).optional() }).optional(),
  }),
);
type OtlpValue = {
  stringValue?: string | undefined;
  boolValue?: boolean | undefined;
  intValue?: string | number | undefined;
  doubleValue?: number | undefined;
  arrayValue?: { values?: OtlpValue[] | undefined } | undefined;
  kvlistValue?: { values?: { key: string; value: OtlpValue }[] | undefined } | undefined;
};
const Attributes = z.array(z.object({ key: z.string(), value: AnyValue })).default([]);
const Resource = z.object({ attributes: Attributes }).default({ attributes: [] });

const TracesRequest = z.object({
  resourceSpans: z
    .array(
      z.object({
        resource: Resource,
        scopeSpans: z
          .array(
            z.object({
              spans: z
                .array(
                  z.object({
                    traceId: z.string(),
                    spanId: z.string(),
                    parentSpanId: z.string().optional(),
                    name: z.string(),
                    startTimeUnixNano: z.union([z.string(), z.number()]),
                    endTimeUnixNano: z.union([z.string(), z.number()]),
                    attributes: Attributes,
                    status: z.object({ code: z.number().optional() }).optional(),
                  }),
                )
                .default([]),
            }),
          )
          .default([]),
      }),
    )
    .default([]),
});

const LogsRequest = z.object({
  resourceLogs: z
    .array(
      z.object({
        resource: Resource,
        scopeLogs: z
          .array(
            z.object({
              logRecords: z
                .array(
                  z.object({
                    timeUnixNano: z.union([z.string(), z.number()]).optional(),
                    observedTimeUnixNano: z.union([z.string(), z.number()]).optional(),
                    severityText: z.string().optional(),
                    severityNumber: z.number().optional(),
                    body: AnyValue.optional(),
                    attributes: Attributes,
                    traceId: z.string().optional(),
                    spanId: z.string().optional(),
                  }),
                )
                .default([]),
            }),
          )
          .default([]),
      }),
    )
    .default([]),
});

function plain(value: OtlpValue | undefined): unknown {
  if (!value) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(plain);
  if (value.kvlistValue) return Object.fromEntries((value.kvlistValue.values ?? []).map((kv) => [kv.key, plain(kv.value)]));
  return undefined;
}

const attributesOf = (list: z.output<typeof Attributes>) => Object.fromEntries(list.map((a) => [a.key, plain(a.value)]));

/** OTLP JSON ids are hex; some exporters send base64. */
function hexId(id: string | undefined): string | null {
  if (!id) return null;
  if (/^[0-9a-f]+$/i.test(id)) return id.toLowerCase();
  return Buffer.from(id, "base64").toString("hex");
}

const nanosToDate = (nanos: string | number | undefined) => new Date(Number(BigInt(String(nanos ?? 0)) / 1_000_000n));

/** The SDK stamps the run on spans and logs as "$metadata.ctx.run.id" (older ones: "ctx.run.id"). */
function runIdOf(attributes: Record<string, unknown>, resource: Record<string, unknown>): string | undefined {
  const id = attributes["$metadata.ctx.run.id"] ?? attributes["ctx.run.id"] ?? resource["ctx.run.id"];
  return typeof id === "string" ? internalId(id) : undefined;
}

export const otelApi = new Hono<PlatformEnv>()
  .post("/otel/v1/traces", async (c) => {
    const body = TracesRequest.safeParse(await c.req.json().catch(() => ({})));
    if (!body.success) return c.json({ error: "Only OTLP/HTTP JSON is accepted here" }, 400);
    const rows = body.data.resourceSpans.flatMap((rs) => {
      const resource = attributesOf(rs.resource.attributes);
      return rs.scopeSpans.flatMap((ss) =>
        ss.spans.flatMap((span) => {
          const attributes = attributesOf(span.attributes);
          const runId = runIdOf(attributes, resource);
          // A "partial" span only announces a span that has started; the finished one follows.
          if (!runId || attributes["$span.partial"] === true) return [];
          const start = nanosToDate(span.startTimeUnixNano);
          return [
            {
              runId,
              kind: "span" as const,
              traceId: hexId(span.traceId),
              spanId: hexId(span.spanId),
              parentSpanId: hexId(span.parentSpanId),
              name: span.name,
              level: null,
              startTime: start,
              durationMs: Math.max(0, nanosToDate(span.endTimeUnixNano).getTime() - start.getTime()),
              attributes,
              isError: span.status?.code === 2,
            },
          ];
        }),
      );
    });
    c.var.platform.runEvents.add(rows);
    return c.json({ partialSuccess: {} });
  })
  .post("/otel/v1/logs", async (c) => {
    const body = LogsRequest.safeParse(await c.req.json().catch(() => ({})));
    if (!body.success) return c.json({ error: "Only OTLP/HTTP JSON is accepted here" }, 400);
    const rows = body.data.resourceLogs.flatMap((rl) => {
      const resource = attributesOf(rl.resource.attributes);
      return rl.scopeLogs.flatMap((sl) =>
        sl.logRecords.flatMap((record) => {
          const attributes = attributesOf(record.attributes);
          const runId = runIdOf(attributes, resource);
          if (!runId) return [];
          const message = plain(record.body);
          return [
            {
              runId,
              kind: "log" as const,
              traceId: hexId(record.traceId),
              spanId: hexId(record.spanId),
              parentSpanId: null,
              name: typeof message === "string" ? message : JSON.stringify(message ?? ""),
              level: (record.severityText ?? "INFO").toLowerCase(),
              startTime: nanosToDate(record.timeUnixNano ?? record.observedTimeUnixNano),
              durationMs: null,
              attributes,
              isError: (record.severityNumber ?? 0) >= 17,
            },
          ];
        }),
      );
    });
    c.var.platform.runEvents.add(rows);
    return c.json({ partialSuccess: {} });
  })
  .post("/otel/v1/metrics", (c) => c.json({ partialSuccess: {} }));
