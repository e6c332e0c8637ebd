// The stand-ins' own migrations (schemas stripe_stand_in and mail_catcher), recorded in
// drizzle.stand_ins_migrations; each stand-in applies them when it starts.
import path from "node:path";
import { applyMigrationChain, type MigrationChain } from "local-trigger/migrations";

export const STAND_IN_MIGRATIONS: MigrationChain = {
  folder: path.resolve(import.meta.dirname, "../../migrations"),
  table: "stand_ins_migrations",
  lockId: 727_003,
};

export const migrateStandIns = (url: string) => applyMigrationChain(url, STAND_IN_MIGRATIONS);
