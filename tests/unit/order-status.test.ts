import { describe, expect, it } from "vitest";
import { orderStatus } from "../../db/schema";
import { canTransition, NEXT_STATUSES, TERMINAL_STATUSES } from "../../src/orders/order-status";

describe("the order state machine", () => {
  it("covers every status the database knows", () => {
    expect(Object.keys(NEXT_STATUSES).sort()).toEqual([...orderStatus.enumValues].sort());
  });

  it("follows the happy path", () => {
    expect(canTransition("pending", "reserved")).toBe(true);
    expect(canTransition("reserved", "paid")).toBe(true);
    expect(canTransition("paid", "completed")).toBe(true);
  });

  it("refuses shortcuts and resurrections", () => {
    expect(canTransition("pending", "paid")).toBe(false); // never charged without stock
    expect(canTransition("reserved", "completed")).toBe(false);
    expect(canTransition("cancelled", "reserved")).toBe(false);
    expect(canTransition("payment_failed", "paid")).toBe(false);
    expect(canTransition("completed", "failed")).toBe(false);
  });

  it("lets nothing leave failed, payment_failed or cancelled", () => {
    for (const status of ["failed", "payment_failed", "cancelled"] as const) {
      expect(NEXT_STATUSES[status]).toEqual([]);
      expect(TERMINAL_STATUSES).toContain(status);
    }
  });
});
