// The order project's tables (schema "fulfillment"), for the typed client. The platform's and the stand-ins'
// tables live in their packages (local-trigger/schema, local-stand-ins/schema).
export * from "./fulfillment";
