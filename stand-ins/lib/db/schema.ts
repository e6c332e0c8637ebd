// Every table of the stand-ins, for drizzle-kit and the typed client: each stand-in in a Postgres schema of its own.
export * from "./stripe-schema";
export * from "./mail-schema";
