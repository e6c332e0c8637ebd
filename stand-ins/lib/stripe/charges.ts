// The Charge behind a PaymentIntent, as Stripe shows it in charge.* events. The stand-in keeps no Charge
// objects: a charge is its intent's `latest_charge` id, and its amounts follow from the intent and refunds.
import type { StripeObject } from "../db/schema";
import type { PaymentIntent } from "./payment-intents";

export function chargeOf(intent: PaymentIntent, amountRefunded: number): StripeObject {
  return {
    id: String(intent.latest_charge),
    object: "charge",
    amount: intent.amount,
    amount_captured: intent.amount_received,
    amount_refunded: amountRefunded,
    captured: true,
    created: intent["created"],
    currency: intent.currency,
    description: intent.description,
    livemode: false,
    // Stripe copies the intent's metadata onto its charge.
    metadata: intent.metadata,
    paid: true,
    payment_intent: intent.id,
    payment_method: intent.payment_method,
    // Stripe's "fully refunded": a partial refund leaves it false.
    refunded: amountRefunded >= intent.amount_received,
    status: "succeeded",
  };
}
