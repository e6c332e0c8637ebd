// Reserve every line of the order, or none. Out of stock is an outcome, not a failure: the parent decides
// (fail the order, mail the customer). What undoes a reservation, releaseStock, is the saga's in
// process-order (and cancel-order's).
import { logger, schemaTask } from "@trigger.dev/sdk";
import { z } from "zod";
import { orderId } from "../src/events/order-created";
import { reserveStock } from "../src/inventory/reserve-stock";
import { OutOfStockError, StockStateError } from "../src/inventory/stock-errors";
import { dependencies } from "./job-dependencies";

export const RESERVE_INVENTORY = "reserve-inventory";

export const reserveInventory = schemaTask({
  id: RESERVE_INVENTORY,
  schema: z.object({ orderId }),
  retry: { maxAttempts: 5, minTimeoutInMs: 200, maxTimeoutInMs: 5_000, factor: 2 },
  run: async ({ orderId }) => {
    const { db, config } = dependencies();
    try {
      const held = await reserveStock(db, orderId, { ttlMs: config.orders.reservationTtl.ms });
      logger.info("stock reserved", { orderId, lines: held.length });
      return { outcome: "reserved" as const, lines: held.length };
    } catch (error) {
      // Cancelled (or given up) before its stock was held: nothing to reserve, ever.
      if (error instanceof StockStateError) return { outcome: "not_reservable" as const, status: error.status };
      if (!(error instanceof OutOfStockError)) throw error; // database trouble: retried
      logger.warn("out of stock", { orderId, shortages: error.shortages });
      return { outcome: "out_of_stock" as const, shortages: error.shortages };
    }
  },
});
