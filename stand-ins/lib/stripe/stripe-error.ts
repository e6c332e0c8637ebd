// Stripe's JSON error shape, so the real SDK raises the same error classes it raises against Stripe.

export type StripeErrorBody = {
  error: {
    type: "api_error" | "card_error" | "idempotency_error" | "invalid_request_error";
    message: string;
    code?: string;
    decline_code?: string;
    param?: string;
    payment_intent?: Record<string, unknown>;
    charge?: string;
    doc_url?: string;
  };
};

export class StripeHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
  ) {
    super(body.error.message);
  }
}

export const invalidRequest = (message: string, extra: { code?: string; param?: string; status?: number } = {}) =>
  new StripeHttpError(extra.status ?? 400, {
    error: {
      type: "invalid_request_error",
      message,
      ...(extra.code ? { code: extra.code } : {}),
      ...(extra.param ? { param: extra.param } : {}),
    },
  });

export const resourceMissing = (resource: string, id: string, param = "id") =>
  invalidRequest(`No such ${resource}: '${id}'`, { code: "resource_missing", param, status: 404 });
