/**
 * Headless Chromium for the browser tests: Debian's `chromium` (CI installs it with apt-get; no
 * browser is downloaded) driven by playwright-core. REGULAB_CHROMIUM overrides the path; tests skip
 * with `chromiumMissing` as the reason when it is absent.
 */
import { existsSync } from 'node:fs';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.REGULAB_CHROMIUM ?? '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);
export const chromiumMissing = `${CHROMIUM} is absent (apt-get install chromium)`;

/** Flags for a quiet headless run: no GPU, no sandbox (root in CI), no background traffic. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A fresh Chromium with its profile in `profileDir` (close the context when done). */
export function launchChromium(profileDir: string, extraArgs: string[] = []): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
}
