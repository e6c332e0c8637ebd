import { defineConfig } from "drizzle-kit";

// `npm run db:generate` writes a migration from db/schema/fulfillment.ts; migrations are committed and never
// hand-edited. The platform and the stand-ins keep their own schemas and migrations in their packages.
export default defineConfig({
  dialect: "postgresql",
  schema: "./db/schema/fulfillment.ts",
  out: "./db/migrations",
  schemaFilter: ["fulfillment"],
});
