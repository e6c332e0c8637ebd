// `npm run platform`: the local Trigger.dev platform alone (embedded Postgres unless DATABASE_URL), for
// any Trigger.dev project's `trigger.dev dev`. Prints what a CLI and a backend need; Ctrl-C stops it.
import { createDatabaseHandle } from "../../db/client";
import { startDatabase } from "../../db/start-database";
import { ConfigError, loadConfig } from "../config";
import { platformOptionsFrom } from "./platform-options";
import { startPlatform } from "./platform-server";

async function main() {
  const config = loadConfig();
  const database = await startDatabase(config.database, (line) => console.log(line));
  const handle = createDatabaseHandle(database.url, { max: 20 });
  const platform = await startPlatform({ db: handle.db, port: config.trigger.platformPort, options: platformOptionsFrom(config) });
  console.log(`Local Trigger.dev platform on ${platform.url} (state in ${database.embedded ? config.database.embeddedDir : "DATABASE_URL"})

Run any Trigger.dev v4 project against it, from that project's folder:
  TRIGGER_API_URL=${platform.url} TRIGGER_ACCESS_TOKEN=tr_pat_local npx trigger.dev@4.8.3 dev

Trigger from backend code with the SDK:
  TRIGGER_API_URL=${platform.url} TRIGGER_SECRET_KEY=${config.trigger.secretKey}   (project ${config.trigger.projectRef};
  another project's key is ${config.trigger.secretKey}-<its ref>)
`);
  const stop = async () => {
    await platform.close();
    await handle.close();
    await database.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error instanceof Error ? error.message : error);
  process.exit(1);
});
