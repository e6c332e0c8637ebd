// `npm start`: boots the whole stack, prints where everything is, shows the `trigger.dev dev` CLI's own output
// below, and stops it all on Ctrl-C. `--quiet-cli` hides the CLI's output; `--no-cli` (`npm run services`)
// starts everything but the CLI, for those who run it in a terminal of its own (`npm run dev`).
import { parseArgs } from "node:util";
import { cliCommand } from "local-trigger/dev-cli";
import { ConfigError, loadConfig } from "../config";
import { cliLinePrinter } from "./cli-lines";
import { bootStack, redact } from "./stack";

const USAGE = `Usage: npm start [-- --quiet-cli | --no-cli]
  --quiet-cli   do not show the trigger.dev dev CLI's own output
  --no-cli      start everything but the CLI; run it in a second terminal with: npm run dev`;

const log = (line: string) => console.log(line);

function readFlags(): { noCli: boolean; quietCli: boolean } {
  try {
    const { values } = parseArgs({
      options: { "no-cli": { type: "boolean" }, "quiet-cli": { type: "boolean" }, help: { type: "boolean" } },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      console.log(USAGE);
      process.exit(0);
    }
    return { noCli: values["no-cli"] === true, quietCli: values["quiet-cli"] === true };
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    process.exit(2);
  }
}

async function main() {
  const flags = readFlags();
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }

  const terminal = process.stdout.isTTY === true;
  log("Starting the order-fulfillment stack…");
  const stack = await bootStack(config, log, {
    startCli: !flags.noCli,
    ...(flags.quietCli ? {} : { cliOutput: { onLine: cliLinePrinter((text) => process.stdout.write(text), terminal), color: terminal } }),
  }).catch(() => process.exit(1));

  // The install's secrets go to this terminal alone (its user's); a URL the user supplied is shown masked.
  log("");
  log("Ready.");
  const platform = stack.platform();
  if (platform) log(`  Dashboard:    ${platform.loginUrl}  (this link logs you in; keep it to yourself)`);
  log(`  App API:      ${stack.app.url}  (POST /api/events/order.created, GET /api/orders/:id)`);
  log(`                Authorization: Bearer ${stack.appApiToken}`);
  if (platform) log(`  Trigger.dev:  TRIGGER_API_URL=${platform.url} TRIGGER_SECRET_KEY=${platform.secretKey}  (backend code's SDK)`);
  log(`  DATABASE_URL=${config.database.url ? redact(stack.databaseUrl) : stack.databaseUrl}`);
  log("");
  if (flags.noCli) {
    log("The trigger.dev dev CLI is not started (--no-cli). Run it in a second terminal:");
    log("  npm run dev");
    if (platform) log(`  (or by hand: ${cliCommand(platform.url, platform.accessToken)})`);
    log("");
  }
  log("Fire an order (in another terminal):");
  log("  npm run order -- --email ada@example.com --sku MUG-LOGO:2 --sku STICKER-PACK:1");
  log("  npm run order -- --random 20");
  log(`Press Ctrl-C to stop.${flags.noCli || flags.quietCli ? "" : " The CLI's own lines follow, marked trigger.dev │"}`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`\n${signal}: stopping…`);
    await stack.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

void main();
