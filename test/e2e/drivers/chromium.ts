import { execFileSync } from 'node:child_process';
import { chromium, type Page } from 'playwright-core';
import { asJson, mouseStroke, type Browser, type Tab, type Viewport } from '../browser.js';

/** Debian's Chromium (scripts/setup-browsers.sh installs it). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Headless Chromium through playwright-core, with the flags this machine needs: no sandbox
 * (root), no GPU, and no background networking (the network is closed; without these flags
 * Chromium keeps trying to reach Google's hosts). playwright gives every browser a new, empty
 * profile of its own and deletes it on close.
 */
export function launchChromium() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Chromium as a `Browser` of test/e2e/browser.ts. */
export async function openChromium(): Promise<Browser> {
  const browser = await launchChromium();
  const version = execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8' })
    .trim()
    .replace(/ built on .*/, '');
  return {
    engine: 'chromium',
    version,
    async open(url: string, viewport: Viewport): Promise<Tab> {
      const page = await browser.newPage({ viewport });
      const errors = watchErrors(page);
      await page.goto(url);
      return playwrightTab(page, errors);
    },
    close: () => browser.close(),
  };
}

function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  return errors;
}

function playwrightTab(page: Page, errors: string[]): Tab {
  return {
    eval: async (expression) => JSON.parse(await page.evaluate(asJson(expression))),
    click: (selector) => page.click(selector),
    stroke: (points) => mouseStroke(page.mouse, points),
    screenshot: async (path) => void (await page.screenshot({ path, fullPage: true })),
    errors: async () => [...errors],
    close: () => page.close(),
  };
}
