import { existsSync } from 'node:fs';
import type { Browser } from './browser.js';
import { CHROMIUM, openChromium } from './drivers/chromium.js';
import { FIREFOX, openFirefox } from './drivers/firefox.js';
import { openWebKit, WEBKIT_DRIVER, XVFB } from './drivers/webkit.js';

/**
 * The engines every page scenario runs in. WebKit runs twice: with a real locale, and with
 * Debian's default C.UTF-8, under which WebKitGTK reports `navigator.language` as "C" (the MNIST
 * page once died on it; plain LANG=C gives "en-US").
 */
export interface Engine {
  label: string;
  /** The programs it needs (scripts/setup-browsers.sh installs them with apt). */
  needs: string[];
  open(): Promise<Browser>;
  /** The `navigator.language` it must report to a page that leaves it alone: the condition a run is there to test. */
  language?: string;
}

export const ENGINES: readonly Engine[] = [
  { label: 'Chromium', needs: [CHROMIUM], open: openChromium },
  { label: 'Firefox', needs: [FIREFOX], open: openFirefox },
  { label: 'WebKit', needs: [WEBKIT_DRIVER, XVFB], open: () => openWebKit({ locale: 'en_US.UTF-8' }), language: 'en-US' },
  { label: 'WebKit, LANG=C.UTF-8', needs: [WEBKIT_DRIVER, XVFB], open: () => openWebKit({ locale: 'C.UTF-8' }), language: 'C' },
];

/**
 * Why an engine cannot run here, or null when it can. Outside CI a missing engine skips its
 * tests with the reason logged; under CI=true it is a failure, so CI never passes without
 * having run every engine.
 */
export function engineMissing(engine: Pick<Engine, 'label' | 'needs'>): string | null {
  const absent = engine.needs.filter((p) => !existsSync(p));
  if (absent.length === 0) return null;
  const reason = `${engine.label}: ${absent.join(', ')} not found (install with: bash scripts/setup-browsers.sh)`;
  if (process.env.CI === 'true') throw new Error(`CI=true but the browser tests cannot run: ${reason}`);
  console.warn(`[e2e] skipped: ${reason}`);
  return reason;
}
