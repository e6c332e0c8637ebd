// The whole stack of `npm start` for an e2e test file: its own database and free ports, the real CLI in a
// private copy of this repository (so a developer's own `npm start` is untouched).
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { loadConfig } from "../../src/config";
import { bootStack } from "../../src/stack/stack";
import { killWatchdog } from "../../src/stack/dev-cli";
import { createTestDatabase } from "./test-database";

const ROOT = path.resolve(import.meta.dirname, "../..");
const COPIED = ["jobs", "src", "db", "trigger.config.ts", "package.json", "tsconfig.json"];

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

function copyRepository(): string {
  const target = path.join(ROOT, ".data/e2e", `stack-${randomBytes(4).toString("hex")}`);
  fs.mkdirSync(target, { recursive: true });
  for (const entry of COPIED) fs.cpSync(path.join(ROOT, entry), path.join(target, entry), { recursive: true });
  return target;
}

export async function startOrderStack(env: Record<string, string> = {}) {
  const database = await createTestDatabase();
  const [app, platform, stripe, smtp] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const config = loadConfig({
    DATABASE_URL: database.url,
    APP_PORT: String(app),
    PLATFORM_PORT: String(platform),
    STRIPE_FAKE_PORT: String(stripe),
    SMTP_CATCHER_PORT: String(smtp),
    TRIGGER_PROJECT_REF: "proj_orderfulfillment",
    ORDER_REMINDER_DELAY: "3s",
    ...env,
  });
  const projectDir = copyRepository();
  const lines: string[] = [];
  const stack = await bootStack(config, (line) => lines.push(line), { projectDir });
  return {
    ...stack,
    config,
    database,
    appUrl: stack.app.url,
    async close() {
      await stack.stop();
      killWatchdog(projectDir);
      await database.close();
    },
  };
}

export type OrderStack = Awaited<ReturnType<typeof startOrderStack>>;
