// The platform's own migrations (schema trigger_platform), recorded in drizzle.trigger_platform_migrations.
// startPlatform applies them, so a platform migrates its database itself.
import path from "node:path";
import { applyMigrationChain, type MigrationChain } from "./migration-chain";

export const PLATFORM_MIGRATIONS: MigrationChain = {
  folder: path.resolve(import.meta.dirname, "../../migrations"),
  table: "trigger_platform_migrations",
  lockId: 727_002,
};

export const migratePlatform = (url: string) => applyMigrationChain(url, PLATFORM_MIGRATIONS);
