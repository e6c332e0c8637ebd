// PaymentIntents as Stripe runs them: create (optionally confirming), retrieve, update, confirm, capture,
// cancel, list. A confirm decides by the test PaymentMethod what happens: success, a card_error with
// Stripe's codes, requires_action, or "processing" settled later by a timer (and a webhook).
import type { DatabaseOrTransaction } from "../db/client";
import type { StripeObject } from "../db/schema";
import type { FaultPlan } from "./faults";
import { insertObject, loadObject, saveObject, stripeId, unixNow } from "./object-store";
import type {
  PaymentIntentCancel,
  PaymentIntentCapture,
  PaymentIntentConfirm,
  PaymentIntentCreate,
  PaymentIntentUpdate,
} from "./request-params";
import { invalidRequest, StripeHttpError } from "./stripe-error";
import { TEST_PAYMENT_METHODS, type CardOutcome } from "./test-payment-methods";
import { recordEvent, type WebhookTarget } from "./webhook-events";
import type { z } from "zod";

export type PaymentIntent = StripeObject & {
  object: "payment_intent";
  amount: number;
  amount_capturable: number;
  amount_received: number;
  capture_method: string;
  currency: string;
  status: string;
  payment_method: string | null;
  latest_charge: string | null;
  last_payment_error: Record<string, unknown> | null;
  metadata: Record<string, string>;
  description: string | null;
  /** Not Stripe's: which outcome a "processing" intent settles to. */
  [key: string]: unknown;
};

/** What a POST handler runs with; `faults` for the faults matched inside the work (refund faults). */
export type IntentContext = {
  db: DatabaseOrTransaction;
  webhook: WebhookTarget;
  idempotencyKey: string | null;
  processingDelayMs: number;
  faults: FaultPlan;
};

const CARD_DOCS = "https://docs.stripe.com/error-codes";

export async function createPaymentIntent(ctx: IntentContext, params: z.output<typeof PaymentIntentCreate>): Promise<PaymentIntent> {
  if (params.confirm && !params.payment_method) {
    throw invalidRequest("You cannot confirm this PaymentIntent because it's missing a payment method.", {
      code: "payment_intent_unexpected_state",
      param: "payment_method",
    });
  }
  if (params.payment_method) lookUpPaymentMethod(params.payment_method);
  const id = stripeId("pi");
  const intent: PaymentIntent = {
    id,
    object: "payment_intent",
    amount: params.amount,
    amount_capturable: 0,
    amount_received: 0,
    automatic_payment_methods: params.automatic_payment_methods ?? null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: params.capture_method ?? "automatic",
    client_secret: `${id}_secret_${stripeId("x").slice(2, 18)}`,
    confirmation_method: "automatic",
    created: unixNow(),
    currency: params.currency,
    customer: params.customer ?? null,
    description: params.description ?? null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    metadata: params.metadata ?? {},
    next_action: null,
    payment_method: params.payment_method ?? null,
    payment_method_types: params.payment_method_types ?? ["card"],
    receipt_email: params.receipt_email ?? null,
    status: params.payment_method ? "requires_confirmation" : "requires_payment_method",
  };
  await insertObject(ctx.db, intent);
  await recordEvent(ctx.db, ctx.webhook, "payment_intent.created", intent, ctx.idempotencyKey);
  return params.confirm ? confirm(ctx, intent, params.payment_method!) : intent;
}

export async function updatePaymentIntent(
  ctx: IntentContext,
  id: string,
  params: z.output<typeof PaymentIntentUpdate>,
): Promise<PaymentIntent> {
  const intent = await loadObject<PaymentIntent>(ctx.db, "payment_intent", id, { forUpdate: true });
  if (["succeeded", "canceled", "processing"].includes(intent.status) && params.amount !== undefined) {
    throw unexpectedState(intent, "update the amount of");
  }
  if (params.payment_method) lookUpPaymentMethod(params.payment_method);
  const updated: PaymentIntent = {
    ...intent,
    ...(params.amount !== undefined ? { amount: params.amount } : {}),
    ...(params.description !== undefined ? { description: params.description } : {}),
    ...(params.receipt_email !== undefined ? { receipt_email: params.receipt_email } : {}),
    ...(params.payment_method ? { payment_method: params.payment_method, status: "requires_confirmation" } : {}),
    metadata: { ...intent.metadata, ...(params.metadata ?? {}) },
  };
  await saveObject(ctx.db, updated);
  return updated;
}

export async function confirmPaymentIntent(
  ctx: IntentContext,
  id: string,
  params: z.output<typeof PaymentIntentConfirm>,
): Promise<PaymentIntent> {
  const intent = await loadObject<PaymentIntent>(ctx.db, "payment_intent", id, { forUpdate: true });
  if (!["requires_payment_method", "requires_confirmation", "requires_action"].includes(intent.status))
    throw unexpectedState(intent, "confirm");
  const paymentMethod = params.payment_method ?? intent.payment_method;
  if (!paymentMethod) {
    throw invalidRequest("You cannot confirm this PaymentIntent because it's missing a payment method.", {
      code: "payment_intent_unexpected_state",
      param: "payment_method",
    });
  }
  lookUpPaymentMethod(paymentMethod);
  return confirm(ctx, intent, paymentMethod);
}

export async function capturePaymentIntent(
  ctx: IntentContext,
  id: string,
  params: z.output<typeof PaymentIntentCapture>,
): Promise<PaymentIntent> {
  const intent = await loadObject<PaymentIntent>(ctx.db, "payment_intent", id, { forUpdate: true });
  if (intent.status !== "requires_capture") throw unexpectedState(intent, "capture");
  const amount = params.amount_to_capture ?? intent.amount_capturable;
  if (amount > intent.amount_capturable) {
    throw invalidRequest(`The amount to capture (${amount}) is greater than the amount capturable (${intent.amount_capturable}).`, {
      code: "amount_too_large",
      param: "amount_to_capture",
    });
  }
  const captured: PaymentIntent = {
    ...intent,
    status: "succeeded",
    amount_received: amount,
    amount_capturable: 0,
    metadata: { ...intent.metadata, ...(params.metadata ?? {}) },
  };
  await saveObject(ctx.db, captured);
  await recordEvent(ctx.db, ctx.webhook, "payment_intent.succeeded", captured, ctx.idempotencyKey);
  return captured;
}

export async function cancelPaymentIntent(
  ctx: IntentContext,
  id: string,
  params: z.output<typeof PaymentIntentCancel>,
): Promise<PaymentIntent> {
  const intent = await loadObject<PaymentIntent>(ctx.db, "payment_intent", id, { forUpdate: true });
  if (intent.status === "succeeded" || intent.status === "canceled" || intent.status === "processing")
    throw unexpectedState(intent, "cancel");
  const canceled: PaymentIntent = {
    ...intent,
    status: "canceled",
    canceled_at: unixNow(),
    cancellation_reason: params.cancellation_reason ?? null,
    amount_capturable: 0,
  };
  await saveObject(ctx.db, canceled);
  await recordEvent(ctx.db, ctx.webhook, "payment_intent.canceled", canceled, ctx.idempotencyKey);
  return canceled;
}

/** Settles a "processing" intent whose time has come (called by settle-due-objects.ts, in its transaction). */
export async function settlePaymentIntent(tx: DatabaseOrTransaction, webhook: WebhookTarget, intent: PaymentIntent): Promise<void> {
  const outcome =
    intent["stand_in_settles_to"] === "declined"
      ? decline(intent, { kind: "declined", code: "card_declined", declineCode: "generic_decline", message: "Your card was declined." })
      : succeed(intent);
  await saveObject(tx, outcome.intent, null);
  await recordEvent(tx, webhook, outcome.event, outcome.intent, null);
}

function lookUpPaymentMethod(id: string): CardOutcome {
  const outcome = TEST_PAYMENT_METHODS[id];
  if (!outcome) throw invalidRequest(`No such PaymentMethod: '${id}'`, { code: "resource_missing", param: "payment_method" });
  return outcome;
}

function unexpectedState(intent: PaymentIntent, action: string) {
  return invalidRequest(`You cannot ${action} this PaymentIntent because it has a status of ${intent.status}.`, {
    code: "payment_intent_unexpected_state",
  });
}

async function confirm(ctx: IntentContext, intent: PaymentIntent, paymentMethod: string): Promise<PaymentIntent> {
  const card = lookUpPaymentMethod(paymentMethod);
  const base: PaymentIntent = { ...intent, payment_method: paymentMethod, last_payment_error: null };
  switch (card.kind) {
    case "succeeds": {
      const { intent: done, event } = base.capture_method === "manual" ? authorize(base) : succeed(base);
      await saveObject(ctx.db, done);
      await recordEvent(ctx.db, ctx.webhook, event, done, ctx.idempotencyKey);
      return done;
    }
    case "processing": {
      const processing: PaymentIntent = { ...base, status: "processing", stand_in_settles_to: card.then };
      await saveObject(ctx.db, processing, new Date(Date.now() + ctx.processingDelayMs));
      await recordEvent(ctx.db, ctx.webhook, "payment_intent.processing", processing, ctx.idempotencyKey);
      return processing;
    }
    case "requires_action": {
      const waiting: PaymentIntent = { ...base, status: "requires_action", next_action: { type: "use_stripe_sdk", use_stripe_sdk: {} } };
      await saveObject(ctx.db, waiting);
      await recordEvent(ctx.db, ctx.webhook, "payment_intent.requires_action", waiting, ctx.idempotencyKey);
      return waiting;
    }
    case "declined": {
      const { intent: failed, event } = decline(base, card);
      await saveObject(ctx.db, failed);
      await recordEvent(ctx.db, ctx.webhook, event, failed, ctx.idempotencyKey);
      throw new StripeHttpError(402, {
        error: {
          type: "card_error",
          code: card.code,
          ...(card.declineCode ? { decline_code: card.declineCode } : {}),
          message: card.message,
          charge: failed.latest_charge ?? undefined,
          doc_url: `${CARD_DOCS}#${card.code.replace(/_/g, "-")}`,
          payment_intent: failed,
        },
      });
    }
  }
}

function succeed(intent: PaymentIntent) {
  const done: PaymentIntent = {
    ...intent,
    status: "succeeded",
    amount_received: intent.amount,
    latest_charge: stripeId("ch"),
    next_action: null,
  };
  delete done["stand_in_settles_to"];
  return { intent: done, event: "payment_intent.succeeded" };
}

function authorize(intent: PaymentIntent) {
  const held: PaymentIntent = { ...intent, status: "requires_capture", amount_capturable: intent.amount, latest_charge: stripeId("ch") };
  return { intent: held, event: "payment_intent.amount_capturable_updated" };
}

function decline(intent: PaymentIntent, card: Extract<CardOutcome, { kind: "declined" }>) {
  const failed: PaymentIntent = {
    ...intent,
    status: "requires_payment_method",
    latest_charge: stripeId("ch"),
    last_payment_error: {
      type: "card_error",
      code: card.code,
      ...(card.declineCode ? { decline_code: card.declineCode } : {}),
      message: card.message,
      payment_method: { id: intent.payment_method, object: "payment_method", type: "card" },
    },
  };
  delete failed["stand_in_settles_to"];
  return { intent: failed, event: "payment_intent.payment_failed" };
}
