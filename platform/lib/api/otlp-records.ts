// OTLP/HTTP JSON records made into run event rows one value at a time. JSON lets through what Postgres refuses
// (NUL in text and jsonb, unpaired surrogates in jsonb) and what is no use stored (NaN, which JSON exporters send
// as null; times from another century; values nested without end). Such a value is repaired and counted; a
// record without what makes it a run's event is rejected and counted; the rest of the request is stored as usual.
import { z } from "zod";
import type { RunEventRow } from "../engine/run-event-buffer";
import { internalId } from "../ids";

/** The SDK's own attribute value limit (TRIGGER_OTEL_*_ATTRIBUTE_VALUE_LENGTH_LIMIT): nothing it sends is cut. */
export const MAX_VALUE_CHARS = 128 * 1024;
/** All one record may hold (name, body, attributes): room for several of the SDK's largest values. */
export const MAX_RECORD_CHARS = 1024 * 1024;
/** Arrays and maps within maps: the SDK flattens objects into dotted keys, so real values are one or two deep. */
export const MAX_VALUE_DEPTH = 10;
/** Earlier times are a clock or unit error (milliseconds sent as nanoseconds land in January 1970). */
const EARLIEST_MS = Date.UTC(2000, 0, 1);
/** The clock skew allowed between a task process and the platform. */
const AHEAD_MS = 24 * 60 * 60 * 1000;
/** run_events.duration_ms is an int4. */
const INT4_MAX = 2_147_483_647;

const REPAIRS = {
  nul: "NUL characters removed",
  surrogate: "unpaired UTF-16 surrogates replaced",
  nonFinite: "NaN or infinite doubles stored as null",
  nonNumeric: "non-numeric numbers stored as null",
  malformed: "malformed values dropped",
  tooDeep: `values nested deeper than ${MAX_VALUE_DEPTH} levels cut`,
  tooLarge: "values over the size limit cut",
  time: "unusable times replaced by the receive time",
  duration: "unusable durations left empty or clamped",
  id: "malformed trace or span ids dropped",
} as const;
const REJECTIONS = {
  malformed: "malformed",
  runId: "without a usable run id",
  spanId: "without a usable span id",
} as const;
type Repair = keyof typeof REPAIRS;
type Rejection = keyof typeof REJECTIONS;

/** An attribute value as stored in run_events.attributes (jsonb). */
export type PlainValue = string | number | boolean | null | PlainValue[] | { [key: string]: PlainValue };
type Attributes = Record<string, PlainValue>;
/** What is left of MAX_RECORD_CHARS for the record being read. */
type Budget = { left: number };

// Each field is read by hand below (a bad one is repaired, not a reason to refuse the record); the schemas
// only require what a record cannot be stored without.
const field = z.unknown().optional();
const SpanRecord = z.object({
  traceId: field,
  spanId: field,
  parentSpanId: field,
  name: z.string(),
  startTimeUnixNano: field,
  endTimeUnixNano: field,
  attributes: field,
  status: z.object({ code: z.unknown() }).partial().nullish().catch(undefined),
});
const LogRecord = z.object({
  timeUnixNano: field,
  observedTimeUnixNano: field,
  severityText: field,
  severityNumber: field,
  body: field,
  attributes: field,
  traceId: field,
  spanId: field,
});

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, "g");

/** The rows one OTLP request makes, with what was repaired or rejected on the way. */
export class OtlpRecords {
  readonly rows: RunEventRow[] = [];
  private readonly repairs = new Map<Repair, number>();
  private readonly rejections = new Map<Rejection, number>();
  /** The record being read's repairs: they count only if it is stored. */
  private readonly pending = new Map<Repair, number>();

  constructor(private readonly receivedAt: Date) {}

  /** Values repaired in the rows (each counted once per value). */
  get repaired(): number {
    return [...this.repairs.values()].reduce((a, b) => a + b, 0);
  }

  /** Records not stored. */
  get rejected(): number {
    return [...this.rejections.values()].reduce((a, b) => a + b, 0);
  }

  /** OTLP's partial success: the records not stored and a message naming every reason; repairs alone make it a
   *  warning (rejected 0, message set), which the spec allows. Empty when everything was stored as sent. */
  partialSuccess(signal: "spans" | "logRecords"): { rejectedSpans?: number; rejectedLogRecords?: number; errorMessage?: string } {
    const parts: string[] = [];
    const noun = signal === "spans" ? "span(s)" : "log record(s)";
    if (this.rejections.size > 0) {
      const why = [...this.rejections].map(([reason, n]) => `${REJECTIONS[reason]} (${n})`).join(", ");
      parts.push(`${this.rejected} ${noun} rejected: ${why}`);
    }
    if (this.repairs.size > 0) {
      const what = [...this.repairs].map(([reason, n]) => `${REPAIRS[reason]} (${n})`).join(", ");
      parts.push(`stored with repairs: ${what}`);
    }
    if (parts.length === 0) return {};
    const count = signal === "spans" ? { rejectedSpans: this.rejected } : { rejectedLogRecords: this.rejected };
    return { ...count, errorMessage: parts.join("; ") };
  }

  /** A resource's attributes: only read for the run id its records may inherit. */
  resource(attributes: unknown): Attributes {
    const resource = this.attributes(attributes, { left: MAX_RECORD_CHARS });
    this.pending.clear();
    return resource;
  }

  addSpan(raw: unknown, resource: Attributes): void {
    this.pending.clear();
    const parsed = SpanRecord.safeParse(raw);
    if (!parsed.success) return this.reject("malformed");
    const span = parsed.data;
    const budget: Budget = { left: MAX_RECORD_CHARS };
    const attributes = this.attributes(span.attributes, budget);
    const runId = this.runIdOf(attributes, resource);
    // A "partial" span only announces a span that has started; the finished one follows.
    if (runId === undefined || attributes["$span.partial"] === true) return;
    if (runId === null) return this.reject("runId");
    const spanId = hexId(span.spanId);
    if (!spanId) return this.reject("spanId");

    const start = this.time(span.startTimeUnixNano);
    const end = this.time(span.endTimeUnixNano);
    if (!start || !end) this.repair("time");
    this.store({
      runId,
      kind: "span",
      traceId: this.optionalId(span.traceId),
      spanId,
      parentSpanId: this.optionalId(span.parentSpanId),
      name: this.text(span.name, budget),
      level: null,
      startTime: start ?? this.receivedAt,
      durationMs: start && end ? this.duration(end.getTime() - start.getTime()) : null,
      attributes,
      isError: span.status?.code === 2 || span.status?.code === "STATUS_CODE_ERROR",
    });
  }

  addLog(raw: unknown, resource: Attributes): void {
    this.pending.clear();
    const parsed = LogRecord.safeParse(raw);
    if (!parsed.success) return this.reject("malformed");
    const record = parsed.data;
    const budget: Budget = { left: MAX_RECORD_CHARS };
    const attributes = this.attributes(record.attributes, budget);
    const runId = this.runIdOf(attributes, resource);
    if (runId === undefined) return;
    if (runId === null) return this.reject("runId");

    // OTLP: an unset time (absent or 0) means "use the observed time"; only a time that is set and unusable is repaired.
    const time = this.time(record.timeUnixNano) ?? this.time(record.observedTimeUnixNano);
    if (!time && (isSet(record.timeUnixNano) || isSet(record.observedTimeUnixNano))) this.repair("time");
    const message = this.value(record.body, 0, budget);
    let level = "info";
    if (typeof record.severityText === "string") level = this.text(record.severityText, { left: 64 }).toLowerCase() || "info";
    else if (record.severityText !== undefined) this.repair("malformed");
    this.store({
      runId,
      kind: "log",
      traceId: this.optionalId(record.traceId),
      spanId: this.optionalId(record.spanId),
      parentSpanId: null,
      name: typeof message === "string" ? message : JSON.stringify(message ?? ""),
      level,
      startTime: time ?? this.receivedAt,
      durationMs: null,
      attributes,
      isError: typeof record.severityNumber === "number" && record.severityNumber >= 17,
    });
  }

  private store(row: RunEventRow): void {
    this.rows.push(row);
    for (const [reason, n] of this.pending) this.repairs.set(reason, (this.repairs.get(reason) ?? 0) + n);
    this.pending.clear();
  }

  private repair(reason: Repair): void {
    this.pending.set(reason, (this.pending.get(reason) ?? 0) + 1);
  }

  private reject(reason: Rejection): void {
    this.rejections.set(reason, (this.rejections.get(reason) ?? 0) + 1);
  }

  /** The SDK stamps the run on spans and logs as "$metadata.ctx.run.id" (older ones: "ctx.run.id").
   *  undefined: not a run's record (not ours to store); null: it names a run, but not usably. */
  private runIdOf(attributes: Attributes, resource: Attributes): string | null | undefined {
    const id = attributes["$metadata.ctx.run.id"] ?? attributes["ctx.run.id"] ?? resource["ctx.run.id"];
    if (id === undefined) return undefined;
    if (typeof id !== "string") return null;
    const internal = internalId(id);
    return internal.length > 0 && internal.length <= 128 ? internal : null;
  }

  /** A string Postgres takes: no NUL, no unpaired surrogate, at most MAX_VALUE_CHARS and what the record has left. */
  private text(value: string, budget: Budget): string {
    let text = value;
    const max = Math.max(0, Math.min(MAX_VALUE_CHARS, budget.left));
    if (text.length > max) {
      text = text.slice(0, max);
      if (/[\uD800-\uDBFF]$/.test(text)) text = text.slice(0, -1); // not half a pair at the cut
      text += "…";
      this.repair("tooLarge");
    }
    if (text.includes("\u0000")) {
      text = text.replaceAll("\u0000", "");
      this.repair("nul");
    }
    if (LONE_SURROGATE.test(text)) {
      text = text.replace(LONE_SURROGATES, "\uFFFD");
      this.repair("surrogate");
    }
    budget.left -= text.length;
    return text;
  }

  /** An OTLP KeyValue list as an object; an entry that is not { key: string, value } is dropped. */
  private attributes(list: unknown, budget: Budget, depth = 0): Attributes {
    if (list === undefined || list === null) return {};
    if (!Array.isArray(list)) {
      this.repair("malformed");
      return {};
    }
    const entries: [string, PlainValue][] = [];
    for (const entry of list) {
      if (budget.left <= 0) {
        this.repair("tooLarge");
        break;
      }
      if (!isObject(entry) || typeof entry.key !== "string") {
        this.repair("malformed");
        continue;
      }
      const key = this.text(entry.key, budget);
      const value = this.value(entry.value, depth, budget);
      if (value !== undefined) entries.push([key, value]);
    }
    // fromEntries defines own properties: a "__proto__" key stays a key.
    return Object.fromEntries(entries);
  }

  /** An OTLP AnyValue as plain JSON; undefined for an empty one (OTLP's "no value"). */
  private value(value: unknown, depth: number, budget: Budget): PlainValue | undefined {
    if (value === undefined || value === null) return undefined;
    if (!isObject(value)) return this.malformed();
    budget.left -= 8;
    if (value.stringValue !== undefined)
      return typeof value.stringValue === "string" ? this.text(value.stringValue, budget) : this.malformed();
    if (value.boolValue !== undefined) return typeof value.boolValue === "boolean" ? value.boolValue : this.malformed();
    if (value.intValue !== undefined) return this.integer(value.intValue);
    if ("doubleValue" in value) return this.double(value.doubleValue);
    if (value.bytesValue !== undefined)
      return typeof value.bytesValue === "string" ? this.text(value.bytesValue, budget) : this.malformed();
    if (value.arrayValue !== undefined || value.kvlistValue !== undefined) {
      if (depth >= MAX_VALUE_DEPTH) {
        this.repair("tooDeep");
        return `[nested deeper than ${MAX_VALUE_DEPTH} levels]`;
      }
      const isMap = value.kvlistValue !== undefined;
      const container = isMap ? value.kvlistValue : value.arrayValue;
      if (!isObject(container)) return this.malformed();
      if (isMap) return this.attributes(container.values, budget, depth + 1);
      if (container.values === undefined || container.values === null) return [];
      if (!Array.isArray(container.values)) return this.malformed();
      const items: PlainValue[] = [];
      for (const item of container.values) {
        if (budget.left <= 0) {
          this.repair("tooLarge");
          break;
        }
        items.push(this.value(item, depth + 1, budget) ?? null);
      }
      return items;
    }
    return undefined;
  }

  private malformed(): null {
    this.repair("malformed");
    return null;
  }

  /** int64: a JSON number, or a string of digits (proto3's JSON mapping); kept as a string past 2^53 so no digit is lost. */
  private integer(value: unknown): PlainValue {
    if (typeof value === "number" && Number.isFinite(value)) return value;
    if (typeof value === "string" && /^-?\d{1,20}$/.test(value)) {
      const n = Number(value);
      return Number.isSafeInteger(n) ? n : value;
    }
    this.repair("nonNumeric");
    return null;
  }

  /** A double: a JSON number, or proto3's JSON strings ("1.5", "NaN", "Infinity"). */
  private double(value: unknown): PlainValue {
    const n = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : Number.NaN;
    if (Number.isFinite(n)) return n;
    // JSON exporters write NaN and ±Infinity as null (JSON.stringify does); protobuf's mapping writes "NaN".
    const nonFinite = value === null || value === "NaN" || typeof value === "number" || n === Infinity || n === -Infinity;
    this.repair(nonFinite ? "nonFinite" : "nonNumeric");
    return null;
  }

  /** fixed64 nanoseconds since the epoch (a JSON number or a string of digits), if it is a plausible time. */
  private time(nanos: unknown): Date | undefined {
    let value: bigint | undefined;
    if (typeof nanos === "number" && Number.isFinite(nanos) && nanos > 0) value = BigInt(Math.trunc(nanos));
    else if (typeof nanos === "string" && /^\d{1,20}$/.test(nanos)) value = BigInt(nanos);
    if (value === undefined) return undefined;
    const ms = Number(value / 1_000_000n);
    if (ms < EARLIEST_MS || ms > this.receivedAt.getTime() + AHEAD_MS) return undefined;
    return new Date(ms);
  }

  private duration(ms: number): number {
    if (ms >= 0 && ms <= INT4_MAX) return ms;
    this.repair("duration");
    return ms < 0 ? 0 : INT4_MAX;
  }

  /** A trace or parent span id: unset is null, a malformed one is dropped (and counted). */
  private optionalId(id: unknown): string | null {
    if (id === undefined || id === null || id === "") return null;
    const hex = hexId(id);
    if (!hex) this.repair("id");
    return hex;
  }
}

/** OTLP JSON ids are hex; some exporters send base64. null for anything else. */
function hexId(id: unknown): string | null {
  if (typeof id !== "string") return null;
  if (/^[0-9a-f]{1,64}$/i.test(id)) return id.toLowerCase();
  if (id.length <= 88 && /^[A-Za-z0-9+/]+={0,2}$/.test(id)) return Buffer.from(id, "base64").toString("hex") || null;
  return null;
}

/** An OTLP time field that is set: present and not 0 (OTLP's "unknown"). */
const isSet = (nanos: unknown) => nanos !== undefined && nanos !== null && nanos !== 0 && nanos !== "0";
