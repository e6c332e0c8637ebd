// Sending an event: validate it against its schema (a bad one is an InvalidInputError naming the field,
// and nothing is written), record what it is about, and trigger its task. An event id names one order for
// good (a reuse for another order is an EventIdConflictError, and writes nothing); the run's idempotency
// key is the order's, so the same order sent twice, under any event ids, starts one workflow.
import { auth, idempotencyKeys, tasks } from "@trigger.dev/sdk";
import { and, eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { inboundEvents, orders } from "../../db/schema";
import { InvalidInputError, parseInput } from "../input-error";
import { acceptOrder } from "../orders/accept-order";
import { orderTag } from "../orders/order-tag";
import { EVENTS, isEventName, type EventName } from "./catalogue";

/** `publicAccessToken` reads the workflow run and nothing else (for the shopper's status page). */
export type SentEvent = { event: EventName; eventId: string; orderId: string; runId: string; publicAccessToken: string };

/** How long a shopper's status link can follow the order. */
const STATUS_TOKEN_LIFETIME = "24h";

/** The event id was used before for another order. */
export class EventIdConflictError extends Error {
  override name = "EventIdConflictError";
  constructor(
    readonly event: EventName,
    readonly eventId: string,
    readonly firstOrderId: string,
    readonly orderId: string,
  ) {
    super(
      `${event} event id "${eventId}" was used for order ${firstOrderId}; it cannot name order ${orderId} too (an event id belongs to one order)`,
    );
  }
}

export async function sendEvent(db: Database, name: string, payload: unknown, options: { id?: string } = {}): Promise<SentEvent> {
  if (!isEventName(name)) {
    throw new InvalidInputError("event", [{ field: "name", message: `unknown event "${name}"; known: ${Object.keys(EVENTS).join(", ")}` }]);
  }
  const definition = EVENTS[name];
  const event = parseInput(definition.schema, payload, `${name} event`);
  const eventId = options.id ?? event.id;
  // The order is stored before its workflow starts: an unknown SKU, a conflicting id or a reused event id
  // is the sender's error (and writes nothing), not a failed run.
  await db.transaction(async (tx) => {
    if (name === "order.created") await acceptOrder(tx, event);
    else if ((await tx.select({ id: orders.id }).from(orders).where(eq(orders.id, event.id))).length === 0) {
      throw new InvalidInputError(`${name} event`, [{ field: "id", message: `no order ${event.id}` }]);
    }
    await tx.insert(inboundEvents).values({ name, eventId, orderId: event.id }).onConflictDoNothing();
    const [first] = await tx
      .select()
      .from(inboundEvents)
      .where(and(eq(inboundEvents.name, name), eq(inboundEvents.eventId, eventId)));
    if (first && first.orderId !== event.id) throw new EventIdConflictError(name, eventId, first.orderId, event.id);
  });
  const handle = await tasks.trigger(definition.task, event, {
    idempotencyKey: await idempotencyKeys.create(`event-${name}-${event.id}`, { scope: "global" }),
    tags: [orderTag(event.id)],
  });
  // The trigger's own token lasts an hour (Trigger.dev fixes it so); the shopper's link needs longer.
  const publicAccessToken = await auth.createPublicToken({
    scopes: { read: { runs: [handle.id] } },
    expirationTime: STATUS_TOKEN_LIFETIME,
  });
  return { event: name, eventId, orderId: event.id, runId: handle.id, publicAccessToken };
}
