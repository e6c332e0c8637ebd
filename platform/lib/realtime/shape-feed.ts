// Run feeds in the ElectricSQL shape protocol, as the 4.8.3 SDK's bundled client (@electric-sql/client 1.0.14)
// reads them: a first request (offset=-1) gets a snapshot, every row an `insert`, ending in `up-to-date`; then
// `live=true` requests are held until a row changes (sent as a whole-row `update`, or an `insert` for a run new
// to the feed) or until the hold ends (`up-to-date` alone). Every answer carries `electric-handle` and
// `electric-offset` (never -1), a snapshot `electric-schema`, a live answer `electric-cursor`.
//
// What each subscriber has been sent is kept here, per handle, as a digest per run: a row goes out when its
// digest changes, so nothing depends on timestamps ordering the commits. Handles live in memory (the newest
// MAX_HANDLES); a live request naming one the platform no longer knows (after a restart) gets 409
// must-refetch and starts again from a snapshot, as Electric answers an expired shape.
import { createHash, randomUUID } from "node:crypto";
import type { Run } from "../db/schema";
import { ConnectionCap } from "../http/connection-cap";
import { electricSchema, runRow, type RunColumn } from "./run-rows";

/** What a feed selects: a key naming the route and its filters (a handle serves one key), its columns, and
 *  the runs it shows now. `pinned` is what the first request fixed (a tag feed's createdAt floor); `since`
 *  a hint that only runs updated after it can have changed. */
export type RunFeed<Pinned = unknown> = {
  key: string;
  columns: RunColumn[];
  pin: () => Pinned;
  select: (pinned: Pinned, since: Date | undefined) => Promise<Run[]>;
  /** Realtime stream keys per run id, for the realtimeStreams column. */
  streamsOf?: (runIds: string[]) => Promise<Map<string, string[]>>;
};

export type FeedRequest = { offset: string; handle?: string; live: boolean; signal: AbortSignal };

type Subscriber = { key: string; pinned: unknown; sent: Map<string, string>; seq: number; checkedAt: Date };

const MAX_HANDLES = 5_000;
/** How long a live request is held when nothing changes (Electric and Trigger.dev hold ≈20 s). */
export const LIVE_HOLD_MS = 20_000;
/** A change is looked for on every platform change, and at least this often (for changes nobody announced). */
const RECHECK_MS = 5_000;
/** Live requests held at once, platform-wide. */
const MAX_HELD = 256;
/** Runs a subscriber's digests are kept for; the oldest are forgotten (a forgotten run is sent again, whole). */
const MAX_SENT_PER_SUBSCRIBER = 2_000;
/** How far before the last check a run's updated_at may lie and still be news: a transaction's now() is its
 *  start, so a row can commit with an updated_at older than a check that missed it. */
const COMMIT_MARGIN_MS = 10_000;

type Message =
  | { key: string; value: Record<string, string | null>; headers: { operation: "insert" | "update" } }
  | { headers: { control: "up-to-date" | "must-refetch" } };

const UP_TO_DATE: Message = { headers: { control: "up-to-date" } };

export class ShapeFeeds {
  private readonly subscribers = new Map<string, Subscriber>();
  private readonly held = new ConnectionCap(MAX_HELD, "realtime feeds");

  /** `changes(listener)` calls the listener on every platform change and returns how to stop. */
  constructor(private readonly changes: (listener: () => void) => () => void) {}

  async serve<P>(feed: RunFeed<P>, request: FeedRequest, holdMs = LIVE_HOLD_MS): Promise<Response> {
    if (!request.live || request.offset === "-1") return this.snapshot(feed, request.handle);
    const handle = request.handle ?? "";
    const subscriber = this.subscribers.get(handle);
    // The offset says what the client has: one that is not the last answer's means an answer never reached
    // it (the client aborts its live request when a tab is hidden), so it starts again from a snapshot.
    if (!subscriber || subscriber.key !== feed.key || request.offset !== offsetOf(subscriber)) return mustRefetch();
    this.touch(handle, subscriber);
    const leave = this.held.enter();
    try {
      return await this.hold(feed, request, handle, subscriber, holdMs);
    } finally {
      leave();
    }
  }

  private async hold<P>(feed: RunFeed<P>, request: FeedRequest, handle: string, subscriber: Subscriber, holdMs: number) {
    const deadline = Date.now() + holdMs;
    for (;;) {
      const checkedAt = new Date();
      const since = new Date(subscriber.checkedAt.getTime() - COMMIT_MARGIN_MS);
      const found = await this.changed(feed, subscriber, await feed.select(subscriber.pinned as P, since));
      if (request.signal.aborted) return answer(handle, subscriber, [UP_TO_DATE], { live: true }); // nobody reads it: nothing sent
      subscriber.checkedAt = checkedAt;
      if (found.messages.length > 0) {
        found.markSent();
        return answer(handle, subscriber, [...found.messages, UP_TO_DATE], { live: true });
      }
      if (Date.now() >= deadline) return answer(handle, subscriber, [UP_TO_DATE], { live: true });
      await this.nextChange(Math.min(RECHECK_MS, deadline - Date.now()), request.signal);
    }
  }

  private async snapshot<P>(feed: RunFeed<P>, given: string | undefined): Promise<Response> {
    const known = given ? this.subscribers.get(given) : undefined;
    const handle = known?.key === feed.key ? given! : `${feed.key.split(":")[0]}-${randomUUID()}`;
    const pinned = known?.key === feed.key ? (known.pinned as P) : feed.pin();
    const subscriber: Subscriber = { key: feed.key, pinned, sent: new Map(), seq: 0, checkedAt: new Date() };
    const found = await this.changed(feed, subscriber, await feed.select(pinned, undefined));
    found.markSent();
    this.touch(handle, subscriber);
    return answer(handle, subscriber, [...found.messages, UP_TO_DATE], { live: false, schema: electricSchema(feed.columns) });
  }

  /** The rows of `runs` the subscriber has not been sent as they are now; `markSent` once they go out. */
  private async changed<P>(feed: RunFeed<P>, subscriber: Subscriber, runs: Run[]) {
    const streams = feed.streamsOf && runs.length > 0 ? await feed.streamsOf(runs.map((r) => r.id)) : undefined;
    const messages: Message[] = [];
    const digests = new Map<string, string>();
    for (const run of runs) {
      const value = runRow(run, feed.columns, streams?.get(run.id));
      const digest = createHash("sha1").update(JSON.stringify(value)).digest("base64");
      const before = subscriber.sent.get(run.id);
      if (before === digest) continue;
      digests.set(run.id, digest);
      messages.push({ key: `"public"."TaskRun"/"${run.id}"`, value, headers: { operation: before ? "update" : "insert" } });
    }
    const markSent = () => {
      for (const [id, digest] of digests) {
        subscriber.sent.delete(id); // re-inserted: the map's order is by last sent
        subscriber.sent.set(id, digest);
      }
      for (const id of subscriber.sent.keys()) {
        if (subscriber.sent.size <= MAX_SENT_PER_SUBSCRIBER) break;
        subscriber.sent.delete(id);
      }
      if (messages.length > 0) subscriber.seq += 1;
    };
    return { messages, markSent };
  }

  private touch(handle: string, subscriber: Subscriber): void {
    this.subscribers.delete(handle);
    this.subscribers.set(handle, subscriber);
    if (this.subscribers.size > MAX_HANDLES) this.subscribers.delete(this.subscribers.keys().next().value!);
  }

  private nextChange(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        stop();
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      const stop = this.changes(done);
      signal.addEventListener("abort", done);
    });
  }
}

const offsetOf = (subscriber: Subscriber) => `${subscriber.seq}_0`;

const HEADERS = { "content-type": "application/json", "cache-control": "no-store" };

function answer(handle: string, subscriber: Subscriber, messages: Message[], shape: { live: boolean; schema?: string }): Response {
  return new Response(JSON.stringify(messages), {
    status: 200,
    headers: {
      ...HEADERS,
      "electric-handle": handle,
      "electric-offset": offsetOf(subscriber),
      "electric-up-to-date": "",
      ...(shape.schema ? { "electric-schema": shape.schema } : {}),
      ...(shape.live ? { "electric-cursor": String(Date.now()) } : {}),
    },
  });
}

/** A handle the platform does not know: the client drops what it has and asks for a snapshot. */
function mustRefetch(): Response {
  return new Response(JSON.stringify([{ headers: { control: "must-refetch" } }]), {
    status: 409,
    headers: { ...HEADERS, "electric-handle": `refetch-${randomUUID()}` },
  });
}
