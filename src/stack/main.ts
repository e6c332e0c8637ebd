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
  log(`  DATABASE_URL=${stack.databaseUrl}`);
  log(`  Stripe:       ${stack.stripeUrl}`);
  log(`  SMTP:         ${stack.smtpUrl}`);
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
