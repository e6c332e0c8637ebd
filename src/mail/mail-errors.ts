// What a failed send means: a temporary refusal or a dead connection is retried; a permanent 5xx is not.

export class MailRetryableError extends Error {
  override name = "MailRetryableError";
}

export class MailRejectedError extends Error {
  override name = "MailRejectedError";
}

type SmtpFailure = { responseCode?: number; code?: string; message?: string };

export function classifyMailError(error: unknown, what: string): MailRetryableError | MailRejectedError {
  const failure = (error ?? {}) as SmtpFailure;
  const detail = `${what}: ${failure.message ?? String(error)}`;
  if (typeof failure.responseCode === "number" && failure.responseCode >= 500) return new MailRejectedError(detail);
  return new MailRetryableError(detail);
}
