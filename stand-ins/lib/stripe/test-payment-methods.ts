// Stripe's test PaymentMethods (docs.stripe.com/testing) and what the stand-in does with each, plus two
// of our own for the asynchronous path Stripe's test cards do not cover: "processing", settled later by webhook.

export type CardOutcome =
  | { kind: "succeeds"; brand: string; last4: string }
  | { kind: "declined"; code: string; declineCode?: string; message: string }
  | { kind: "requires_action" }
  | { kind: "processing"; then: "succeeds" | "declined" };

const declined = (code: string, message: string, declineCode?: string): CardOutcome => ({
  kind: "declined",
  code,
  message,
  ...(declineCode ? { declineCode } : {}),
});

export const TEST_PAYMENT_METHODS: Record<string, CardOutcome> = {
  pm_card_visa: { kind: "succeeds", brand: "visa", last4: "4242" },
  pm_card_visa_debit: { kind: "succeeds", brand: "visa", last4: "5556" },
  pm_card_mastercard: { kind: "succeeds", brand: "mastercard", last4: "4444" },
  pm_card_mastercard_debit: { kind: "succeeds", brand: "mastercard", last4: "8210" },
  pm_card_amex: { kind: "succeeds", brand: "amex", last4: "8431" },
  pm_card_discover: { kind: "succeeds", brand: "discover", last4: "1117" },
  pm_card_jcb: { kind: "succeeds", brand: "jcb", last4: "0505" },
  pm_card_unionpay: { kind: "succeeds", brand: "unionpay", last4: "0005" },
  pm_card_bypassPending: { kind: "succeeds", brand: "visa", last4: "0077" },
  pm_card_chargeDeclined: declined("card_declined", "Your card was declined.", "generic_decline"),
  pm_card_chargeDeclinedInsufficientFunds: declined("card_declined", "Your card has insufficient funds.", "insufficient_funds"),
  pm_card_chargeDeclinedLostCard: declined("card_declined", "Your card was declined.", "lost_card"),
  pm_card_chargeDeclinedStolenCard: declined("card_declined", "Your card was declined.", "stolen_card"),
  pm_card_chargeDeclinedFraudulent: declined("card_declined", "Your card was declined.", "fraudulent"),
  pm_card_chargeDeclinedVelocityLimitExceeded: declined("card_declined", "Your card was declined.", "card_velocity_exceeded"),
  pm_card_chargeDeclinedExpiredCard: declined("expired_card", "Your card has expired."),
  pm_card_chargeDeclinedIncorrectCvc: declined("incorrect_cvc", "Your card's security code is incorrect."),
  pm_card_chargeDeclinedProcessingError: declined(
    "processing_error",
    "An error occurred while processing your card. Try again in a little bit.",
  ),
  pm_card_authenticationRequired: { kind: "requires_action" },
  /** Not Stripe's: answers "processing", then succeeds and sends payment_intent.succeeded. */
  pm_stand_in_processing: { kind: "processing", then: "succeeds" },
  /** Not Stripe's: answers "processing", then fails and sends payment_intent.payment_failed. */
  pm_stand_in_processing_declined: { kind: "processing", then: "declined" },
};
