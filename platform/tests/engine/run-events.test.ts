// The OTLP receiver and its buffer under bad input and load: a bad value costs only itself and a bad record
// only itself (the rest of the request is stored, the losses are counted in partialSuccess and the tally);
// a full buffer makes receivers wait, then answers 503 + Retry-After, and never holds more than its bound.
import { asc, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { MAX_VALUE_CHARS, MAX_VALUE_DEPTH } from "../../lib/api/otlp-records";
import { runEvents } from "../../lib/db/schema";
import { RunEventBuffer, type RunEventBufferOptions, type RunEventRow } from "../../lib/engine/run-event-buffer";
import { ensureProjectEnvironment } from "../../lib/environments";
import { internalId } from "../../lib/ids";
import { SECRET_KEY, testPlatformOptions, usePlatformHarness } from "../support/platform";

const harness = usePlatformHarness();

const nowNanos = () => String(BigInt(Date.now()) * 1_000_000n);
const hex = (n: number, bytes: number) => n.toString(16).padStart(bytes * 2, "0");
let spanCount = 0;

type OtlpValue = Record<string, unknown>;
type OtlpSpan = Record<string, unknown>;

/** A span of `runId` as the SDK's exporter writes it (ids in hex, times as strings of nanoseconds). */
function span(runId: string, name: string, extra: { attributes?: Record<string, unknown>[]; [field: string]: unknown } = {}): OtlpSpan {
  const { attributes = [], ...fields } = extra;
  const end = BigInt(Date.now()) * 1_000_000n;
  return {
    traceId: hex(1, 16),
    spanId: hex(++spanCount, 8),
    name,
    startTimeUnixNano: String(end - 50_000_000n), // 50 ms long
    endTimeUnixNano: String(end),
    attributes: [{ key: "ctx.run.id", value: { stringValue: runId } }, ...attributes],
    status: { code: 1 },
    ...fields,
  };
}

/** A value nested 20 000 JSON levels deep: written by hand, JSON.stringify would overflow its stack. */
const DEEP_PLACEHOLDER = { stringValue: "deep value here" };
const DEEP_LEVELS = 5_000;
const deepJson = `${'{"kvlistValue":{"values":[{"key":"k","value":'.repeat(DEEP_LEVELS)}{"stringValue":"bottom"}${"}]}}".repeat(DEEP_LEVELS)}`;

const post = (path: string, body: unknown, key = SECRET_KEY) =>
  fetch(`${harness().url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify(body).replace(JSON.stringify(DEEP_PLACEHOLDER), deepJson),
  });

/** A run of the harness's project to log into (the platform stores events only for a run of the sender's
 *  environment); its internal id, as events are stored under. */
async function newRun(): Promise<string> {
  const response = await post("/api/v1/tasks/otel-probe/trigger", { payload: null });
  expect(response.status).toBe(200);
  return internalId(((await response.json()) as { id: string }).id);
}
const postSpans = (spans: OtlpSpan[]) =>
  post("/otel/v1/traces", { resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans }] }] });

const eventsOf = (runId: string) =>
  harness().database.db.select().from(runEvents).where(eq(runEvents.runId, runId)).orderBy(asc(runEvents.id));

const harnessEnvironment = () =>
  ensureProjectEnvironment(harness().platform.context.db, testPlatformOptions().defaultProjectRef, testPlatformOptions());

/** Swaps the platform's buffer for a small one for the test, and back after it. */
async function withBuffer(options: RunEventBufferOptions, test: (buffer: RunEventBuffer) => Promise<void>) {
  const original = harness().platform.context.runEvents;
  const buffer = new RunEventBuffer(harness().platform.context.db, options);
  harness().platform.context.runEvents = buffer;
  try {
    await test(buffer);
  } finally {
    await buffer.flush();
    harness().platform.context.runEvents = original;
  }
}

/** Holds a lock that makes every insert into run_events wait, until `release()` (Postgres falling behind). */
async function blockWrites(): Promise<{ release: () => Promise<void> }> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  const transaction = harness().database.db.transaction(async (tx) => {
    await tx.execute(sql`LOCK TABLE trigger_platform.run_events IN EXCLUSIVE MODE`);
    locked();
    await released;
  });
  await isLocked;
  return {
    release: async () => {
      release();
      await transaction;
    },
  };
}

describe("bad values in an OTLP request", () => {
  it("cost only themselves: the good spans are stored, the repairs and the rejected span are reported", async () => {
    const runId = await newRun();
    const tallyBefore = harness().platform.context.runEvents.tally;

    const before = Date.now();
    const response = await postSpans([
      span(runId, "good 1", { attributes: [{ key: "n", value: { intValue: "42" } }] }),
      span(runId, "nan", { attributes: [{ key: "ratio", value: { doubleValue: "NaN" } }] }),
      span(runId, "nul\u0000name", { attributes: [{ key: "text", value: { stringValue: "a\u0000b" } }] }),
      span(runId, "future", { startTimeUnixNano: "99999999999999999999999" }),
      span(runId, "negative", { startTimeUnixNano: -1 }),
      span(runId, "deep", { attributes: [{ key: "deep", value: DEEP_PLACEHOLDER }] }),
      span(runId, "huge", { attributes: [{ key: "huge", value: { stringValue: "x".repeat(MAX_VALUE_CHARS * 3) } }] }),
      span(runId, "no span id", { spanId: undefined }),
      span(runId, "good 2"),
      { name: "not a run's span", traceId: hex(1, 16), spanId: hex(999, 8), startTimeUnixNano: nowNanos(), endTimeUnixNano: nowNanos() },
      span(runId, "good 3", { attributes: [{ key: "big", value: { intValue: "12345678901234567890" } }] }),
    ]);
    const after = Date.now();

    expect(response.status).toBe(200);
    const { partialSuccess } = (await response.json()) as { partialSuccess: { rejectedSpans: number; errorMessage: string } };
    expect(partialSuccess.rejectedSpans).toBe(1);
    expect(partialSuccess.errorMessage).toContain("1 span(s) rejected: without a usable span id (1)");
    for (const repair of [
      "NaN or infinite doubles stored as null (1)",
      "NUL characters removed (2)",
      "unusable times replaced by the receive time (2)",
      `values nested deeper than ${MAX_VALUE_DEPTH} levels cut (1)`,
      "values over the size limit cut (1)",
    ]) {
      expect(partialSuccess.errorMessage).toContain(repair);
    }

    await harness().platform.context.runEvents.flush();
    const rows = await eventsOf(runId);
    const byName = new Map(rows.map((r) => [r.name, r]));
    expect(rows.map((r) => r.name)).toEqual(["good 1", "nan", "nulname", "future", "negative", "deep", "huge", "good 2", "good 3"]);
    expect(byName.get("good 1")!.attributes).toEqual({ "ctx.run.id": runId, n: 42 });
    expect(byName.get("good 3")!.attributes.big).toBe("12345678901234567890"); // past 2^53: kept, as digits
    expect(byName.get("good 2")!.durationMs).toBe(50);
    expect(byName.get("nan")!.attributes).toEqual({ "ctx.run.id": runId, ratio: null });
    expect(byName.get("nulname")!.attributes.text).toBe("ab");
    for (const name of ["future", "negative"]) {
      const row = byName.get(name)!;
      expect(row.startTime.getTime()).toBeGreaterThanOrEqual(before - 1);
      expect(row.startTime.getTime()).toBeLessThanOrEqual(after + 1);
      expect(row.durationMs).toBeNull();
    }
    let level: unknown = byName.get("deep")!.attributes.deep;
    let levels = 0;
    for (; typeof level === "object" && level !== null; levels++) level = (level as Record<string, unknown>).k;
    expect(levels).toBe(MAX_VALUE_DEPTH);
    expect(level).toBe(`[nested deeper than ${MAX_VALUE_DEPTH} levels]`);
    expect((byName.get("huge")!.attributes.huge as string).length).toBe(MAX_VALUE_CHARS + 1);

    const tally = harness().platform.context.runEvents.tally;
    expect(tally.rejected - tallyBefore.rejected).toBe(1);
    expect(tally.repaired - tallyBefore.repaired).toBe(7);
    expect(tally.stored - tallyBefore.stored).toBe(9);
    expect(tally.lost).toBe(0);
  });

  it("the rarer ones: an unpaired surrogate, a run id that is no string, a malformed attribute, an endless span", async () => {
    const runId = await newRun();
    const start = BigInt(Date.now() - 40 * 24 * 3600 * 1000) * 1_000_000n; // 40 days: past duration_ms's int4
    const response = await postSpans([
      span(runId, "surrogate \uD800 alone"),
      span(runId, "no run", { attributes: [{ key: "$metadata.ctx.run.id", value: { intValue: 7 } }] }),
      span(runId, "bad attribute", { attributes: [{ value: { stringValue: "no key" } }, { key: "kept", value: { boolValue: true } }] }),
      span(runId, "endless", { startTimeUnixNano: String(start) }),
      span(runId, "base64 ids", { traceId: Buffer.alloc(16, 1).toString("base64"), spanId: Buffer.alloc(8, 2).toString("base64") }),
      span(runId, "partial", {
        attributes: [
          { key: "$span.partial", value: { boolValue: true } },
          { key: "x", value: { doubleValue: null } },
        ],
      }),
    ]);
    const { partialSuccess } = (await response.json()) as { partialSuccess: { rejectedSpans: number; errorMessage: string } };
    expect(partialSuccess).toEqual({
      rejectedSpans: 1,
      errorMessage:
        "1 span(s) rejected: without a usable run id (1); stored with repairs: unpaired UTF-16 surrogates replaced (1), " +
        "malformed values dropped (1), unusable durations left empty or clamped (1)",
    });
    await harness().platform.context.runEvents.flush();
    const rows = await eventsOf(runId);
    expect(rows.map((r) => r.name)).toEqual(["surrogate \uFFFD alone", "bad attribute", "endless", "base64 ids"]);
    expect(rows[1]!.attributes).toEqual({ "ctx.run.id": runId, kept: true });
    expect(rows[2]!.durationMs).toBe(2_147_483_647);
    expect(rows[3]).toMatchObject({ traceId: "01".repeat(16), spanId: "02".repeat(8) });
  });

  it("a project's key stores nothing in another project's run, and the run's own project's key does", async () => {
    const runId = await newRun();
    const other = await ensureProjectEnvironment(harness().platform.context.db, "proj_otelother", testPlatformOptions());
    const events = harness().platform.context.runEvents;
    const rejectedBefore = events.tally.rejected;
    const forged = await post("/otel/v1/traces", { resourceSpans: [{ scopeSpans: [{ spans: [span(runId, "forged")] }] }] }, other.apiKey);
    expect(forged.status).toBe(200); // the exporter is not told which runs exist
    expect((await postSpans([span(runId, "own")])).status).toBe(200);
    await events.flush();
    expect((await eventsOf(runId)).map((r) => r.name)).toEqual(["own"]);
    expect(events.tally.rejected).toBe(rejectedBefore + 1);
  });

  it("a request with nothing wrong gets an empty partialSuccess", async () => {
    const response = await postSpans([span(await newRun(), "fine")]);
    expect(await response.json()).toEqual({ partialSuccess: {} });
  });

  it("log records: a NaN double (null in JSON), a NUL in the body, a bad time and a malformed record", async () => {
    const runId = await newRun();
    const log = (body: OtlpValue, extra: Record<string, unknown> = {}) => ({
      timeUnixNano: nowNanos(),
      severityText: "INFO",
      severityNumber: 9,
      body,
      attributes: [{ key: "ctx.run.id", value: { stringValue: `run_${runId}` } }],
      ...extra,
    });
    const before = Date.now();
    const response = await post("/otel/v1/logs", {
      resourceLogs: [
        {
          resource: { attributes: [] },
          scopeLogs: [
            {
              logRecords: [
                log({ stringValue: "first" }),
                log(
                  { stringValue: "nan" },
                  {
                    attributes: [
                      { key: "ctx.run.id", value: { stringValue: runId } },
                      { key: "x", value: { doubleValue: null } },
                    ],
                  },
                ),
                log({ stringValue: "nul\u0000body" }),
                log({ stringValue: "late" }, { timeUnixNano: "99999999999999999999999", observedTimeUnixNano: "-3" }),
                "not a log record",
                log({ stringValue: "error" }, { severityText: "ERROR", severityNumber: 17 }),
              ],
            },
          ],
        },
      ],
    });
    expect(response.status).toBe(200);
    const { partialSuccess } = (await response.json()) as { partialSuccess: { rejectedLogRecords: number; errorMessage: string } };
    expect(partialSuccess.rejectedLogRecords).toBe(1);
    expect(partialSuccess.errorMessage).toBe(
      "1 log record(s) rejected: malformed (1); stored with repairs: NaN or infinite doubles stored as null (1), NUL characters removed (1), unusable times replaced by the receive time (1)",
    );

    await harness().platform.context.runEvents.flush();
    const rows = await eventsOf(runId);
    expect(rows.map((r) => [r.name, r.level, r.isError])).toEqual([
      ["first", "info", false],
      ["nan", "info", false],
      ["nulbody", "info", false],
      ["late", "info", false],
      ["error", "error", true],
    ]);
    expect(rows[1]!.attributes.x).toBeNull();
    expect(rows[3]!.startTime.getTime()).toBeGreaterThanOrEqual(before - 1);
  });

  it("a body that is not OTLP JSON is a 400 (not a 200 that stores nothing)", async () => {
    const response = await fetch(`${harness().url}/otel/v1/traces`, {
      method: "POST",
      headers: { "content-type": "application/x-protobuf", authorization: `Bearer ${SECRET_KEY}` },
      body: "\x0a\x02",
    });
    expect(response.status).toBe(400);
    expect((await post("/otel/v1/traces", { resourceSpans: "nope" })).status).toBe(400);
  });

  it("a row Postgres refuses anyway costs only itself: the rest of its INSERT is stored, the loss counted", async () => {
    await withBuffer({ flushEveryMs: 10 }, async (buffer) => {
      const runId = await newRun();
      const row = (name: string): RunEventRow => ({ runId, kind: "log", name, startTime: new Date(), attributes: {} });
      // Straight to the buffer, past the receiver's repairs: jsonb refuses \u0000.
      const rows = [row("one"), row("two"), row("bad\u0000"), row("four"), row("five")];
      expect(await buffer.admit((await harnessEnvironment()).id, rows)).toBe(true);
      await buffer.flush();
      expect((await eventsOf(runId)).map((r) => r.name)).toEqual(["one", "two", "four", "five"]);
      expect(buffer.tally).toMatchObject({ stored: 4, lost: 1 });
      expect(buffer.held.rows).toBe(0);
    });
  });
});

describe("a full buffer", () => {
  it("makes the receiver wait for a write, then answers 503 with Retry-After; it never holds more than its bound", async () => {
    const capacity = { rows: 20, chars: 1_000_000 };
    await withBuffer({ capacity, rowsPerInsert: 10, flushEveryMs: 10, waitForRoomMs: 600 }, async (buffer) => {
      const runId = await newRun();
      const spans = (label: string, n: number) => Array.from({ length: n }, (_, i) => span(runId, `${label} ${i}`));
      const writes = await blockWrites();
      try {
        expect((await postSpans(spans("a", 15))).status).toBe(200);
        expect(buffer.held.rows).toBe(15);

        // 15 + 10 > 20, and Postgres is not taking rows: it waits, then is told to come back.
        const started = Date.now();
        const full = await postSpans(spans("b", 10));
        expect(Date.now() - started).toBeGreaterThanOrEqual(550);
        expect(full.status).toBe(503);
        expect(full.headers.get("retry-after")).toBe("1");
        expect(await full.json()).toMatchObject({ code: 14, message: expect.stringContaining("buffer is full") });
        expect(buffer.tally.turnedAway).toBe(10);

        // One that arrives while Postgres is stuck, and gets room when it catches up within the wait.
        const waiting = postSpans(spans("c", 10));
        await new Promise((r) => setTimeout(r, 150));
        expect(buffer.held.rows).toBe(15);
        await writes.release();
        expect((await waiting).status).toBe(200);
      } finally {
        await writes.release();
      }
      await buffer.flush();
      const names = (await eventsOf(runId)).map((r) => r.name);
      expect(names.filter((n) => n.startsWith("a "))).toHaveLength(15);
      expect(names.filter((n) => n.startsWith("b "))).toHaveLength(0);
      expect(names.filter((n) => n.startsWith("c "))).toHaveLength(10);
      expect(buffer.held).toEqual({ rows: 0, chars: 0, peakRows: expect.any(Number) });
      expect(buffer.held.peakRows).toBeLessThanOrEqual(capacity.rows);
    });
  });

  it("a flood from exporters that retry as OTLP says: every row stored once, none lost, the bound kept", async () => {
    const capacity = { rows: 200, chars: 10_000_000 };
    await withBuffer({ capacity, rowsPerInsert: 50, flushEveryMs: 10, waitForRoomMs: 200 }, async (buffer) => {
      const runId = await newRun();
      let turnedAway = 0;
      // What the OTel exporter does on 503: wait Retry-After, send the same request again.
      const exporter = async (request: number) => {
        const spans = Array.from({ length: 40 }, (_, i) => span(runId, `${request}.${i}`));
        for (;;) {
          const response = await postSpans(spans);
          if (response.status === 200) return;
          expect(response.status).toBe(503);
          turnedAway++;
          await new Promise((r) => setTimeout(r, Number(response.headers.get("retry-after")) * 1000));
        }
      };
      const writes = await blockWrites(); // Postgres falls behind at the start of the flood
      const flood = Promise.all(Array.from({ length: 30 }, (_, i) => exporter(i)));
      await new Promise((r) => setTimeout(r, 400));
      expect(buffer.held.rows).toBeLessThanOrEqual(capacity.rows);
      await writes.release();
      await flood;
      await buffer.flush();

      const names = (await eventsOf(runId)).map((r) => r.name);
      expect(names).toHaveLength(30 * 40);
      expect(new Set(names).size).toBe(30 * 40);
      expect(turnedAway).toBeGreaterThan(0);
      expect(buffer.tally).toMatchObject({ stored: 1_200, lost: 0, turnedAway: turnedAway * 40 });
      expect(buffer.held.peakRows).toBeLessThanOrEqual(capacity.rows);
    });
  });
});
