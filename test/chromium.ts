import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (scripts/setup-chromium.sh installs it; .ci/run calls that script). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Why the browser tests cannot run here, or null when they can. Outside CI a missing Chromium
 * skips them with this reason logged; under CI=true it is a failure, so CI never passes
 * without having run them.
 */
export function chromiumMissing(): string | null {
  if (existsSync(CHROMIUM)) return null;
  const reason = `${CHROMIUM} not found (install it with: bash scripts/setup-chromium.sh)`;
  if (process.env.CI === 'true') throw new Error(`CI=true but the browser tests cannot run: ${reason}`);
  console.warn(`[e2e] skipped: ${reason}`);
  return reason;
}

/**
 * Headless Chromium with the flags this machine needs: no sandbox (root), no GPU, and no
 * background networking (the network is closed; without these flags Chromium keeps trying to
 * reach Google's hosts). playwright's `launch` gives every browser a new, empty profile
 * directory of its own (it refuses a --user-data-dir argument) and deletes it on close.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}
