import { execFileSync } from 'node:child_process';
import puppeteer, { type Page } from 'puppeteer-core';
import { asJson, mouseStroke, type Browser, type Tab, type Viewport } from '../browser.js';

/** Debian's Firefox ESR (scripts/setup-browsers.sh installs it). */
export const FIREFOX = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

/**
 * Headless Firefox driven over WebDriver BiDi by puppeteer-core (Firefox speaks BiDi itself:
 * no geckodriver). puppeteer gives it a new, empty profile and deletes it on close.
 */
export async function openFirefox(): Promise<Browser> {
  const browser = await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true });
  const version = execFileSync(FIREFOX, ['--version'], { encoding: 'utf8' }).trim();
  return {
    engine: 'firefox',
    version,
    async open(url: string, viewport: Viewport): Promise<Tab> {
      const page = await browser.newPage();
      await page.setViewport(viewport);
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e instanceof Error ? e.message : String(e)));
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      await page.goto(url);
      return puppeteerTab(page, errors);
    },
    close: () => browser.close(),
  };
}

function puppeteerTab(page: Page, errors: string[]): Tab {
  return {
    eval: async (expression) => JSON.parse((await page.evaluate(asJson(expression))) as string),
    click: (selector) => page.click(selector),
    stroke: (points) => mouseStroke(page.mouse, points),
    screenshot: async (path) => void (await page.screenshot({ path: path as `${string}.png`, fullPage: true })),
    errors: async () => [...errors],
    close: () => page.close(),
  };
}
