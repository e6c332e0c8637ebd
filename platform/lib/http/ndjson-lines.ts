// An NDJSON request body read as it arrives: each batch is the complete lines of what the network delivered
// so far (a line split across packets waits for its end), so a handler can act on a long-lived upload line by
// line. Limits are checked while reading: one line, and the whole body.

export type NdjsonLimits = {
  /** The largest line, in bytes (a partial line over it fails at once). */
  lineBytes: number;
  /** The largest body, in bytes. */
  totalBytes: number;
};

/** A line or the body went over its limit; nothing after it was read. */
export class NdjsonLimitError extends Error {
  override name = "NdjsonLimitError";
  constructor(readonly limit: "line" | "total") {
    super(limit === "line" ? "A line is over the limit" : "The body is over the limit");
  }
}

/** The body stopped before its end (the client went away); the partial last line is dropped. */
export class NdjsonInterruptedError extends Error {
  override name = "NdjsonInterruptedError";
}

const byteLength = (text: string) => Buffer.byteLength(text, "utf8");

/** Yields the non-blank lines of `body` in batches, as they arrive; a last line without "\n" counts. */
export async function* ndjsonLines(body: ReadableStream<Uint8Array>, limits: NdjsonLimits): AsyncGenerator<string[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let pending = "";
  let total = 0;
  try {
    for (;;) {
      let read: ReadableStreamReadResult<Uint8Array>;
      try {
        read = await reader.read();
      } catch (error) {
        throw new NdjsonInterruptedError(error instanceof Error ? error.message : String(error));
      }
      if (read.done) {
        pending += decoder.decode();
        const last = pending.replace(/\r$/, "");
        if (last.trim().length > 0) {
          if (byteLength(last) > limits.lineBytes) throw new NdjsonLimitError("line");
          yield [last];
        }
        return;
      }
      total += read.value.byteLength;
      if (total > limits.totalBytes) throw new NdjsonLimitError("total");
      const parts = (pending + decoder.decode(read.value, { stream: true })).split("\n");
      pending = parts.pop()!;
      const lines = parts.map((line) => line.replace(/\r$/, ""));
      const tooLong = lines.findIndex((line) => byteLength(line) > limits.lineBytes);
      const complete = (tooLong === -1 ? lines : lines.slice(0, tooLong)).filter((line) => line.trim().length > 0);
      if (complete.length > 0) yield complete; // the lines before a bad one stand
      if (tooLong !== -1) throw new NdjsonLimitError("line");
      // A UTF-16 unit is at most 3 bytes: only a long partial line needs measuring.
      if (pending.length * 3 > limits.lineBytes && byteLength(pending) > limits.lineBytes) throw new NdjsonLimitError("line");
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}
