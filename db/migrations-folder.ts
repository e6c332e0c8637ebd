// Where the order project's migrations are and the table that records them (drizzle.fulfillment_migrations).
import path from "node:path";

export const FULFILLMENT_MIGRATIONS = { folder: path.join(import.meta.dirname, "migrations"), table: "fulfillment_migrations" };
