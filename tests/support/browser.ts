// Debian's Chromium driven by playwright-core (never a downloaded browser), one per test file, with
// screenshots saved under test-output/screenshots/ for a human to look at.
import fs from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const SCREENSHOTS = path.resolve("test-output/screenshots");

/** `loginUrl`: the dashboard's login link, opened first in every new page's context (it sets the session cookie). */
/** Debian's Chromium, headless. As root (CI) it needs --no-sandbox; the rest keep it off this machine's closed network. */
export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

export function useBrowser(options: { loginUrl?: () => string } = {}) {
  const state: { browser?: Browser } = {};
  beforeAll(async () => {
    state.browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await state.browser?.close();
  });
  return {
    async page(viewport = { width: 1280, height: 800 }): Promise<Page> {
      const context = await state.browser!.newContext({ viewport });
      const page = await context.newPage();
      page.on("dialog", (dialog) => void dialog.accept());
      if (options.loginUrl) await page.goto(options.loginUrl());
      return page;
    },
    async screenshot(page: Page, name: string) {
      await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
    },
  };
}
