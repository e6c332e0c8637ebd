// `npm run db:migrate`: applies the order project's migrations to DATABASE_URL (production: before a new
// version goes live; a second runner waits on the chain's advisory lock). Development needs none: `npm start`
// migrates on its own.
import { migrateDatabase } from "./migrate";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error("DATABASE_URL is not set: name the Postgres to migrate (postgres://user:pass@host:5432/db)");
  process.exit(1);
}
await migrateDatabase(url);
console.log("fulfillment migrations applied");
