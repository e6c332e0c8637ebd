import { defineConfig } from "drizzle-kit";

// `npm run db:generate` writes a migration from db/schema; migrations are committed and never hand-edited.
export default defineConfig({
  dialect: "postgresql",
  schema: "./db/schema/index.ts",
  out: "./db/migrations",
  schemaFilter: ["fulfillment", "stripe_stand_in", "mail_catcher", "trigger_platform"],
});
