import { defineConfig } from "drizzle-kit";

// `npm run db:generate -w local-trigger` writes a migration from lib/db/schema.ts; migrations are committed, never hand-edited.
export default defineConfig({
  dialect: "postgresql",
  schema: "./lib/db/schema.ts",
  out: "./migrations",
  schemaFilter: ["trigger_platform"],
});
