// One error for bad input from anywhere (an event, an HTTP body, a CLI flag, a config value): it names each
// offending field and its rule, and is raised before anything is written.
import { z } from "zod";

export type InputIssue = { field: string; message: string };

export class InvalidInputError extends Error {
  override name = "InvalidInputError";
  constructor(
    readonly what: string,
    readonly issues: InputIssue[],
  ) {
    super(`Invalid ${what}: ${issues.map((i) => `${i.field}: ${i.message}`).join("; ")}`);
  }
}

/** "lines[0].quantity" from zod's path ["lines", 0, "quantity"]. */
export function fieldName(path: readonly PropertyKey[]): string {
  return (
    path.reduce<string>((name, part) => {
      if (typeof part === "number") return `${name}[${part}]`;
      return name === "" ? String(part) : `${name}.${String(part)}`;
    }, "") || "(root)"
  );
}

export function issuesOf(error: z.ZodError): InputIssue[] {
  return error.issues.map((issue) => ({ field: fieldName(issue.path), message: issue.message }));
}

/** Parses `value` with `schema`, or throws InvalidInputError naming every bad field of `what`. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new InvalidInputError(what, issuesOf(result.error));
  return result.data;
}
