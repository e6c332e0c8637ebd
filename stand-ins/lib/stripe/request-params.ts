// Stripe's form-encoded parameters (metadata[order_id]=…), parsed with `qs` and checked with zod; a bad
// parameter gets Stripe's error shape with `param` naming it, as Stripe's own API does.
import qs from "qs";
import { z } from "zod";
import { invalidRequest } from "./stripe-error";

const integer = (name: string) =>
  z
    .string()
    .regex(/^-?\d+$/, `Invalid integer: must be a whole number (${name})`)
    .transform(Number);
const boolean = z.enum(["true", "false"]).transform((v) => v === "true");
const metadata = z.record(z.string().max(40), z.string().max(500)).optional();

export const PaymentIntentCreate = z.strictObject({
  amount: integer("amount").pipe(z.number().min(1, "Amount must be at least 1")),
  currency: z
    .string()
    .regex(/^[a-z]{3}$/i, "Invalid currency")
    .transform((c) => c.toLowerCase()),
  payment_method: z.string().optional(),
  confirm: boolean.optional(),
  capture_method: z.enum(["automatic", "automatic_async", "manual"]).optional(),
  description: z.string().max(1000).optional(),
  metadata,
  customer: z.string().optional(),
  receipt_email: z.string().optional(),
  return_url: z.string().optional(),
  off_session: boolean.optional(),
  payment_method_types: z.array(z.string()).optional(),
  automatic_payment_methods: z.strictObject({ enabled: boolean, allow_redirects: z.enum(["always", "never"]).optional() }).optional(),
  statement_descriptor: z.string().max(22).optional(),
  expand: z.array(z.string()).optional(),
});

export const PaymentIntentUpdate = z.strictObject({
  amount: integer("amount").pipe(z.number().min(1)).optional(),
  description: z.string().max(1000).optional(),
  metadata,
  payment_method: z.string().optional(),
  receipt_email: z.string().optional(),
  expand: z.array(z.string()).optional(),
});

export const PaymentIntentConfirm = z.strictObject({
  payment_method: z.string().optional(),
  return_url: z.string().optional(),
  off_session: boolean.optional(),
  expand: z.array(z.string()).optional(),
});

export const PaymentIntentCapture = z.strictObject({
  amount_to_capture: integer("amount_to_capture").pipe(z.number().min(1)).optional(),
  metadata,
  expand: z.array(z.string()).optional(),
});

export const PaymentIntentCancel = z.strictObject({
  cancellation_reason: z.enum(["duplicate", "fraudulent", "requested_by_customer", "abandoned"]).optional(),
  expand: z.array(z.string()).optional(),
});

export const RefundCreate = z.strictObject({
  payment_intent: z.string().optional(),
  charge: z.string().optional(),
  amount: integer("amount").pipe(z.number().min(1)).optional(),
  reason: z.enum(["duplicate", "fraudulent", "requested_by_customer"]).optional(),
  metadata,
  expand: z.array(z.string()).optional(),
});

export const ListParams = z.object({
  limit: integer("limit").pipe(z.number().min(1).max(100)).optional(),
  starting_after: z.string().optional(),
  payment_intent: z.string().optional(),
  type: z.string().optional(),
});

export const SearchParams = z.strictObject({
  query: z.string(),
  limit: integer("limit").pipe(z.number().min(1).max(100)).default(10),
  page: z.string().optional(),
  expand: z.array(z.string()).optional(),
});

export function parseForm(body: string): Record<string, unknown> {
  return qs.parse(body, { depth: 5, arrayLimit: 100, parameterLimit: 1000 });
}

/** Validates parameters; on failure throws Stripe's invalid_request_error naming the first bad param. */
export function parseParams<S extends z.ZodType>(schema: S, params: unknown): z.output<S> {
  const result = schema.safeParse(params);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const param = issue.path.map((p, i) => (i === 0 ? String(p) : `[${String(p)}]`)).join("");
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0]!;
    const full = param ? `${param}[${key}]` : key;
    throw invalidRequest(`Received unknown parameter: ${full}`, { code: "parameter_unknown", param: full });
  }
  if (issue.code === "invalid_type" && issue.input === undefined) {
    throw invalidRequest(`Missing required param: ${param}.`, { code: "parameter_missing", param });
  }
  throw invalidRequest(`Invalid ${param}: ${issue.message}`, { code: "parameter_invalid", param });
}
