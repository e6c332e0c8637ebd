// A realtime stream as Server-Sent Events in the "v1" framing the 4.8.3 SDK reads (SSEStreamSubscription):
// `id: <seq>` and `data: <the record>` per record, `: ping` comments while idle. The history after the
// reader's position goes first, then records as they are committed (woken by the StreamLog, with a slow
// recheck as a fallback).
//
// When it ends: the SDK ends a read only when the server closes the response cleanly (there is no end
// record), and withStreams() never reopens a key it has read. So, as the streams spec recommends, the
// response stays open until the reader has caught up and either (a) nothing new arrived for the reader's
// Timeout-Seconds, or (b) the run has finished and no upload to the stream is open. (b) is safe because a
// finished run takes no more writes and its task drains its pipes before it completes; it lets streams.read
// on a finished run end at once instead of idling out.
import type { StreamLog, StreamRef } from "./stream-log";

/** A comment is sent after this long without anything sent, so proxies and the client see the line alive. */
const PING_AFTER_MS = 10_000;
/** How often a caught-up reader looks again without being woken (and checks whether the run finished). */
const RECHECK_MS = 1_000;
/** Records read from Postgres at a time. */
const READ_BATCH = 500;

export type StreamEventsOptions = {
  log: StreamLog;
  stream: StreamRef;
  /** The reader's position: records after this seq are sent (-1: from the start). */
  afterSeq: number;
  /** Close after this long with nothing new, once caught up. */
  idleTimeoutMs: number;
  /** Ends the response (the client went away). */
  signal: AbortSignal;
  /** Whether the stream's run has finished. */
  runFinished: () => Promise<boolean>;
  /** What the `data:` line carries for a record as stored (default: the record itself). */
  frame?: (data: string) => string;
  /** Called once when the response ends, however it ends. */
  onStop?: () => void;
};

/** One SSE event; a value holding line breaks becomes several data lines (the SSE parser joins them). */
function event(seq: number, data: string): string {
  return `id: ${seq}\n${data
    .split(/\r\n|\r|\n/)
    .map((line) => `data: ${line}\n`)
    .join("")}\n`;
}

export function streamEvents({
  log,
  stream,
  afterSeq,
  idleTimeoutMs,
  signal,
  runFinished,
  frame = (d) => d,
  onStop,
}: StreamEventsOptions): Response {
  const encoder = new TextEncoder();
  let cursor = afterSeq;
  let lastRecordAt = Date.now();
  let lastSentAt = Date.now();
  let woken = false;
  let stopped = false;
  let wakeWaiter: (() => void) | undefined;
  const stopWaking = log.onWake(stream, () => {
    woken = true;
    wakeWaiter?.();
  });
  const stop = () => {
    if (stopped) return;
    stopped = true;
    stopWaking();
    wakeWaiter?.();
    onStop?.();
  };
  signal.addEventListener("abort", stop, { once: true });

  /** Resolves when woken, stopped, or after `ms`. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        wakeWaiter = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      wakeWaiter = done;
    });

  let cancelled = false; // by the consumer: the controller may no longer be used
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const finish = () => {
        stop();
        if (!cancelled) controller.close();
      };
      for (;;) {
        if (stopped) return finish();
        woken = false;
        const records = await log.records(stream, cursor, READ_BATCH);
        if (cancelled) return;
        if (records.length > 0) {
          controller.enqueue(encoder.encode(records.map((r) => event(r.seq, frame(r.data))).join("")));
          cursor = records.at(-1)!.seq;
          lastRecordAt = lastSentAt = Date.now();
          return;
        }
        if (woken) continue;
        if (!log.uploading(stream) && (await runFinished())) {
          if (woken) continue; // a last record committed while we asked
          return finish();
        }
        const now = Date.now();
        if (now - lastRecordAt >= idleTimeoutMs) return finish();
        if (now - lastSentAt >= PING_AFTER_MS) {
          controller.enqueue(encoder.encode(": ping\n\n"));
          lastSentAt = now;
          return;
        }
        if (woken || stopped) continue;
        await pause(Math.min(RECHECK_MS, lastRecordAt + idleTimeoutMs - now, lastSentAt + PING_AFTER_MS - now));
      }
    },
    cancel: () => {
      cancelled = true;
      stop();
    },
  });

  return new Response(body, {
    status: 200,
    headers: { "content-type": "text/event-stream", "cache-control": "no-cache", "x-stream-version": "v1" },
  });
}
