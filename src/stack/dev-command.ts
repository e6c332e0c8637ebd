// `npm run dev`: the real `trigger.dev dev` CLI in this terminal, against the stack that `npm run services`
// (npm start -- --no-cli) runs in another: the same environment the stack would give it. Ctrl-C stops it.
import { startDevCli } from "local-trigger/dev-cli";
import { embeddedPostgresUrl } from "local-trigger/postgres";
import { ConfigError, loadConfig } from "../config";
import { withInstallSecrets } from "./app-secrets";
import { cliLinePrinter } from "./cli-lines";
import { PROJECT_ROOT } from "./repository-copy";
import { cliEnvironment } from "./stack";

async function main() {
  const { config, platform: secrets } = withInstallSecrets(loadConfig());
  // Nothing to talk to yet is the likely mistake: say so, rather than let the CLI retry for a minute.
  const reachable = await fetch(config.trigger.apiUrl, { signal: AbortSignal.timeout(3_000) }).then(
    () => true,
    () => false,
  );
  if (!reachable) {
    console.error(
      `Nothing answers at ${config.trigger.apiUrl}. Start the stack without its CLI first, in another terminal: npm run services`,
    );
    process.exit(1);
  }
  const terminal = process.stdout.isTTY === true;
  const databaseUrl = config.database.url ?? embeddedPostgresUrl(config.database.embeddedPort, secrets.postgresPassword);
  const cli = startDevCli({
    projectDir: PROJECT_ROOT,
    apiUrl: config.trigger.apiUrl,
    ...(config.trigger.useLocalPlatform ? { accessToken: config.trigger.accessToken ?? secrets.accessToken } : {}),
    env: cliEnvironment(config, databaseUrl),
    onLine: cliLinePrinter((text) => process.stdout.write(text), terminal),
    color: terminal,
    readyTimeoutMs: 10 * 60_000,
  });
  const stop = async () => {
    await cli.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
  await cli.ready.catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error instanceof Error ? error.message : String(error));
  process.exit(error instanceof ConfigError ? 2 : 1);
});
