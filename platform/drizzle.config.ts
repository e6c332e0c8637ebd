import { defineConfig } from "drizzle-kit";

// `npm run db:generate -w local-trigger` writes a migration from src/db/schema.ts; migrations are committed, never hand-edited.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema.ts",
  out: "./migrations",
  schemaFilter: ["trigger_platform"],
});
