/**
 * Headless Chromium for the browser tests, the browser bench and the playground test: Debian's `chromium` (CI installs it with apt-get; no
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

/**
 * Software WebGL instead of `--disable-gpu`: SwiftShader through ANGLE, so that tfjs's webgl
 * backend runs (on the CPU) in a headless Chromium without a GPU.
 */
export const SWIFTSHADER_ARGS = ['--use-angle=swiftshader', '--enable-unsafe-swiftshader'];

/**
 * A fresh Chromium with its profile in `profileDir` (close the context when done); `webgl: true`
 * swaps --disable-gpu for software WebGL (SWIFTSHADER_ARGS).
 */
export function launchChromium(profileDir: string, opts: { webgl?: boolean } = {}): Promise<BrowserContext> {
  const args = opts.webgl
    ? [...CHROMIUM_ARGS.filter((a) => a !== '--disable-gpu'), ...SWIFTSHADER_ARGS]
    : CHROMIUM_ARGS;
  return chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, headless: true, args });
}
