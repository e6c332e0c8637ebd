// An error the platform means to send back: its message reaches the caller as {error}, with its status
// (400 bad request, 404 no such thing, 409 out of turn).
export class PlatformError extends Error {
  override name = "PlatformError";
  constructor(
    message: string,
    readonly status: 400 | 404 | 409 = 400,
  ) {
    super(message);
  }
}
