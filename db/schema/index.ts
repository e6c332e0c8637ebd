// Every table of the project, for drizzle-kit and for the typed client.
export * from "./fulfillment";
export * from "./stripe-stand-in";
export * from "./mail-catcher";
export * from "./trigger-platform";
