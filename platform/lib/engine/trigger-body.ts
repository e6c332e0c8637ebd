// Reading a trigger's body the one way (a new run and a debounced run's trailing update store it alike).
import type { TriggerBody } from "./trigger-run";

/** The payload as stored: the SDK's packet string as it is, anything else as JSON. */
export const payloadText = (body: TriggerBody) =>
  typeof body.payload === "string" ? body.payload : body.payload === undefined ? null : JSON.stringify(body.payload);

/** A trigger's tags as a list (the SDK sends one tag or many), undefined when it names none. */
export const tagsOf = (options: NonNullable<TriggerBody["options"]>) =>
  options.tags === undefined ? undefined : Array.isArray(options.tags) ? options.tags : [options.tags];
