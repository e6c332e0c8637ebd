// The events this project understands: each has a zod schema and the task it starts.
import type { z } from "zod";
import { OrderCancelled } from "./order-cancelled";
import { OrderCreated } from "./order-created";

export const EVENTS = {
  "order.created": { schema: OrderCreated, task: "process-order" },
  "order.cancelled": { schema: OrderCancelled, task: "cancel-order" },
} as const;

export type EventName = keyof typeof EVENTS;
export type EventPayload<N extends EventName> = z.output<(typeof EVENTS)[N]["schema"]>;

export function isEventName(name: string): name is EventName {
  return Object.hasOwn(EVENTS, name);
}
