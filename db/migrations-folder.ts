// Where the order project's migrations are and the table that records them (drizzle.fulfillment_migrations).
import path from "node:path";
import type { MigrationChain } from "local-trigger/migrations";

export const FULFILLMENT_MIGRATIONS: MigrationChain = {
  folder: path.join(import.meta.dirname, "migrations"),
  table: "fulfillment_migrations",
  lockId: 727_001,
};
