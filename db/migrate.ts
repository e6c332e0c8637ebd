// Applies the order project's migrations (schema fulfillment), recorded in drizzle.fulfillment_migrations,
// after carrying a database of the old single-chain layout over.
import { applyMigrationChain } from "local-trigger/migrations";
import { FULFILLMENT_MIGRATIONS } from "./migrations-folder";
import { adoptSingleChainLayout } from "./single-chain-layout";

export const migrateDatabase = (url: string) => applyMigrationChain(url, FULFILLMENT_MIGRATIONS, adoptSingleChainLayout);
