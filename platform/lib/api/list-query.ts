// What list endpoints' query strings share (runs.list, wait.listTokens): comma lists, dates as the SDK sends
// them, and keyset page parameters.
import { z } from "zod";

/** "a,b" → ["a", "b"]; absent → undefined. */
export const commaList = (value: string | undefined) =>
  value
    ? value
        .split(",")
        .map((v) => v.trim())
        .filter(Boolean)
    : undefined;

/** The SDK sends dates as epoch milliseconds; an ISO date works too. */
export const epochOrDate = z
  .string()
  .optional()
  .transform((v) => (v === undefined ? undefined : new Date(/^\d+$/.test(v) ? Number(v) : v)))
  .refine((d) => d === undefined || !Number.isNaN(d.getTime()), { message: "must be a date or epoch milliseconds" });

export const pageParams = {
  "page[size]": z.coerce.number().int().min(1).max(100).default(25),
  "page[after]": z.string().optional(),
  "page[before]": z.string().optional(),
};
