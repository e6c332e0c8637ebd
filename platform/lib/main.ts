// `npx local-trigger` (or `npm run platform` in the order project): the local Trigger.dev platform alone, for
// any Trigger.dev v4 project's `trigger.dev dev`. State in Postgres: the server at DATABASE_URL, else an
// embedded one in DATA_DIR. Its secrets (access token, dashboard token, Postgres password) are made once and
// kept in DATA_DIR/local-trigger-secrets.json. Prints what a CLI and a backend need; Ctrl-C stops it.
import { ConfigError, loadPlatformConfig } from "./config";
import { startEmbeddedPostgres } from "./db/embedded-postgres";
import { startPlatform } from "./platform-server";
import { loadPlatformSecrets } from "./install-secrets";
import { startBanner } from "./start-banner";

async function main() {
  const config = loadPlatformConfig();
  const secrets = loadPlatformSecrets(config.dataDir);
  const embedded = config.database.url
    ? undefined
    : await startEmbeddedPostgres({
        dataDir: config.database.embeddedDir,
        port: config.database.embeddedPort,
        password: secrets.postgresPassword,
        log: (line) => console.log(line),
      });
  const databaseUrl = config.database.url ?? embedded!.url;
  try {
    const platform = await startPlatform({
      databaseUrl,
      port: config.port,
      options: { ...config.options, accessToken: config.accessToken ?? secrets.accessToken, dashboardToken: secrets.dashboardToken },
    });
    console.log(await startBanner(platform, embedded ? `embedded Postgres in ${config.database.embeddedDir}` : "DATABASE_URL"));
    const stop = async () => {
      await platform.close();
      await embedded?.stop();
      process.exit(0);
    };
    process.on("SIGINT", () => void stop());
    process.on("SIGTERM", () => void stop());
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error instanceof Error ? error.message : error);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
