import { defineConfig } from "drizzle-kit";

// `npm run db:generate -w local-stand-ins` writes a migration from lib/db; migrations are committed, never hand-edited.
export default defineConfig({
  dialect: "postgresql",
  schema: "./lib/db/schema.ts",
  out: "./migrations",
  schemaFilter: ["stripe_stand_in", "mail_catcher"],
});
