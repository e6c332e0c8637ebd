// Errors of the order lifecycle. Each says what was asked and why it cannot be done.
import type { OrderStatus } from "../../db/schema";

export class OrderNotFoundError extends Error {
  override name = "OrderNotFoundError";
  constructor(readonly orderId: string) {
    super(`Order ${orderId} does not exist`);
  }
}

/** The same order id arrived again with different content: never silently merged or overwritten. */
export class OrderConflictError extends Error {
  override name = "OrderConflictError";
  constructor(readonly orderId: string) {
    super(`Order ${orderId} already exists with different content; an order id can be used for one order only`);
  }
}

export class IllegalTransitionError extends Error {
  override name = "IllegalTransitionError";
  constructor(
    readonly orderId: string,
    readonly from: OrderStatus,
    readonly to: OrderStatus,
  ) {
    super(`Order ${orderId} cannot go from ${from} to ${to}`);
  }
}
