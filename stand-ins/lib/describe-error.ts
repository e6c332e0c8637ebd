// One line for a log: a failed query's message is its SQL, so the reason is taken from its cause.
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.cause instanceof Error) return `${error.message.split("\n")[0]?.slice(0, 120)} … ${error.cause.message}`;
  return error.message;
}
