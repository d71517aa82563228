/**
 * Regulab in browser builds (issue 18): one small app (./app: an LSTM with seeded zoneout trained a
 * few steps with AdamW on tfjs's cpu backend) built by esbuild (ESM, and IIFE for a plain <script>
 * tag), webpack 5, Rollup and Vite, each with its defaults and no word about Regulab's
 * WebAssembly, then run in headless Chromium:
 * - `await rl.kernels.ready()` loads the WebAssembly kernels: one thread in a plain page, two
 *   (SharedArrayBuffer + a helper Web Worker) in a cross-origin-isolated one (COOP/COEP headers);
 * - the losses equal those of the same steps in Node (native kernels) within float32 rounding:
 *   |browser − node| ≤ 1e-5 + 1e-5·|node| per step (measured: equal, bit for bit, in Chromium 156);
 * - the esbuild build also runs in a Web Worker, plain and isolated.
 * Skips, saying why, when /usr/bin/chromium is absent (CI installs it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, haveChromium, launchChromium } from '../../../lab/src/browser/chromium.js';
import { serveStatic, type StaticServer } from '../../../lab/src/browser/static-server.js';
import { bundleApp, BUNDLERS, type Bundler, writeWorkerPage } from './bundle-app.js';
// @ts-expect-error: plain JavaScript (every bundler builds it with defaults); no declarations
import { trainLstm, TRAIN_STEPS } from './app/train-lstm.js';

if (!haveChromium) console.warn(`skipping the browser bundler tests: ${chromiumMissing}`);

interface AppReport {
  error?: string;
  kernels: string;
  backend: string;
  threads: number;
  isolated: boolean;
  worker: boolean;
  losses: number[];
}

const tmp = mkdtempSync(join(tmpdir(), 'regulab-bundlers-'));
let server: StaticServer;
let browser: BrowserContext;
let nodeLosses: number[];

/** Loads `page` of a build under /plain/ or /isolated/ and waits for the app's report. */
async function runPage(dir: string, file: string, isolated: boolean): Promise<AppReport> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto(`${server.origin}/${isolated ? 'isolated' : 'plain'}/${dir}/${file}`);
    const handle = await page.waitForFunction(() => (globalThis as { __regulab?: unknown }).__regulab, null, {
      timeout: 120_000,
    });
    const report = (await handle.jsonValue()) as AppReport;
    expect(errors, 'page errors').toEqual([]);
    expect(report.error, 'the app failed').toBeUndefined();
    return report;
  } finally {
    await page.close();
  }
}

/** Same losses as Node within float32 rounding of different kernels (native vs WebAssembly). */
function expectNodeLosses(report: AppReport): void {
  expect(report.losses).toHaveLength(TRAIN_STEPS);
  report.losses.forEach((l, i) => {
    expect(Math.abs(l - nodeLosses[i]), `step ${i}: browser ${l}, node ${nodeLosses[i]}`).toBeLessThanOrEqual(
      1e-5 + 1e-5 * Math.abs(nodeLosses[i]),
    );
  });
}

/** A plain page: the wasm kernels on one thread; an isolated one: on two. */
function expectKernels(report: AppReport, isolated: boolean, worker = false): void {
  expect(report.isolated).toBe(isolated);
  expect(report.worker).toBe(worker);
  expect(report.backend).toBe('wasm');
  expect(report.kernels).toMatch(
    isolated ? /^wasm simd128(\+relaxed)?, 2 threads$/ : /^wasm simd128(\+relaxed)?, 1 thread$/,
  );
  expect(report.threads).toBe(isolated ? 2 : 1);
}

describe.skipIf(!haveChromium)('regulab in browser bundles (headless Chromium)', () => {
  beforeAll(async () => {
    nodeLosses = (await trainLstm()) as number[];
    server = await serveStatic(tmp);
    browser = await launchChromium(join(tmp, 'profile'));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('trains the same losses in Node on every step (the reference for the browsers)', () => {
    expect(nodeLosses).toHaveLength(TRAIN_STEPS);
    for (const l of nodeLosses) expect(Number.isFinite(l)).toBe(true);
    expect(nodeLosses[TRAIN_STEPS - 1]).toBeLessThan(nodeLosses[0]); // it learns
  });

  for (const bundler of BUNDLERS as readonly Bundler[]) {
    it(`${bundler}: builds, loads the wasm kernels (1 thread plain, 2 isolated), matches Node`, async () => {
      await bundleApp(bundler, join(tmp, bundler));
      for (const isolated of [false, true]) {
        const report = await runPage(bundler, 'index.html', isolated);
        expectKernels(report, isolated);
        expectNodeLosses(report);
      }
    }, 300_000);
  }

  it('esbuild: runs in a Web Worker, plain and isolated (helper thread from inside the worker)', async () => {
    writeWorkerPage(join(tmp, 'esbuild'));
    for (const isolated of [false, true]) {
      const report = await runPage('esbuild', 'worker.html', isolated);
      expectKernels(report, isolated, true);
      expectNodeLosses(report);
    }
  }, 120_000);
});
