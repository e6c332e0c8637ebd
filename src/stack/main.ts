// `npm start`: boots the whole stack, prints where everything is, and stops it all on Ctrl-C.
import { ConfigError, loadConfig } from "../config";
import { bootStack } from "./stack";

const log = (line: string) => console.log(line);

async function main() {
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

  log("Starting the order-fulfillment stack…");
  const stack = await bootStack(config, log).catch(() => process.exit(1));

  log("");
  log("Ready.");
  const platform = stack.platform();
  if (platform) log(`  Dashboard:    ${platform.url}`);
  log(`  App API:      ${stack.app.url}  (POST /api/events/order.created, GET /api/orders/:id)`);
  log(`  DATABASE_URL=${stack.databaseUrl}`);
  log("");
  log("Fire an order (in another terminal):");
  log("  npm run order -- --email ada@example.com --sku MUG-LOGO:2 --sku STICKER-PACK:1");
  log("  npm run order -- --random 20");
  log("Press Ctrl-C to stop.");

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
