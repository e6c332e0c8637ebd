// An error the platform means to send back: its message reaches the caller as {error}, with its status
// (400 bad request, 404 no such thing, 409 out of turn, 422 refused).
export class PlatformError extends Error {
  override name = "PlatformError";
  constructor(
    message: string,
    readonly status: 400 | 404 | 409 | 422 = 400,
  ) {
    super(message);
  }
}

/** A zod error as one line naming each field and its rule ("page[size]: must be …; tags: …"). */
export function describeIssues(
  error: { issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }> },
  whole = "query",
): string {
  return error.issues.map((i) => `${i.path.map(String).join(".") || whole}: ${i.message}`).join("; ");
}
