// Sending an event: validate it against its schema (a bad one is an InvalidInputError naming the field,
// and nothing is written), record what it is about, and trigger its task with an idempotency key made from
// the event id, so the same event sent twice starts one run.
import { idempotencyKeys, tasks } from "@trigger.dev/sdk";
import type { Database } from "../../db/client";
import { InvalidInputError, parseInput } from "../input-error";
import { acceptOrder } from "../orders/accept-order";
import { EVENTS, isEventName, type EventName } from "./catalogue";

export type SentEvent = { event: EventName; eventId: string; orderId: string; runId: string };

export async function sendEvent(db: Database, name: string, payload: unknown, options: { id?: string } = {}): Promise<SentEvent> {
  if (!isEventName(name)) {
    throw new InvalidInputError("event", [{ field: "name", message: `unknown event "${name}"; known: ${Object.keys(EVENTS).join(", ")}` }]);
  }
  const definition = EVENTS[name];
  const event = parseInput(definition.schema, payload, `${name} event`);
  // The order is stored before its workflow starts: an unknown SKU or a conflicting id is the sender's
  // error (and writes nothing), not a failed run.
  if (name === "order.created") await acceptOrder(db, event);
  const eventId = options.id ?? event.id;
  const handle = await tasks.trigger(definition.task, event, {
    idempotencyKey: await idempotencyKeys.create(`event-${name}-${eventId}`, { scope: "global" }),
    tags: [`order:${event.id}`],
  });
  return { event: name, eventId, orderId: event.id, runId: handle.id };
}
