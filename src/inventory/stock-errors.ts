import type { OrderStatus } from "../../db/schema";
// Typed outcomes of stock operations.

export type Shortage = { sku: string; requested: number; available: number };

/** Not enough stock for one or more lines: nothing was reserved. Final for the order, so never retried. */
export class OutOfStockError extends Error {
  override name = "OutOfStockError";
  constructor(
    readonly orderId: string,
    readonly shortages: Shortage[],
  ) {
    super(
      `Order ${orderId} is out of stock: ${shortages.map((s) => `${s.sku} (wanted ${s.requested}, ${s.available} available)`).join(", ")}`,
    );
  }
}

/** The order is in a state where this stock operation makes no sense (e.g. committing unpaid stock). */
export class StockStateError extends Error {
  override name = "StockStateError";
  constructor(
    readonly orderId: string,
    readonly status: OrderStatus,
    message: string,
  ) {
    super(message);
  }
}
