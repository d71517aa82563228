/**
 * The playground (`npm run playground`) in headless Chromium: built into a folder, served with
 * the cross-origin isolation headers, started with ?autostart (two models: none and zoneout, each
 * in its Web Worker). Checks, on a screenshot decoded here (./png.ts), that each chart has its
 * train (blue) and validation (orange) curves drawn; that every number the page shows is finite and
 * every point was reported; that the workers run Regulab's wasm kernels on 2 threads; and that
 * sampling returns 200 characters of the text's alphabet. Skips when /usr/bin/chromium is absent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chromiumMissing, haveChromium, launchChromium } from '../src/browser/chromium.js';
import { serveStatic } from '../src/browser/static-server.js';
import { buildPlayground } from '../src/playground/build.js';
import { countColor, decodePng } from './png.js';

if (!haveChromium) console.warn(`skipping the playground browser test: ${chromiumMissing}`);

const tmp = mkdtempSync(join(tmpdir(), 'regulab-playground-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const STEPS = 30;
const EVERY = 10;

describe.skipIf(!haveChromium)('playground in headless Chromium', () => {
  it('trains two models in workers, draws both curves, shows finite numbers, samples text', async () => {
    await buildPlayground(join(tmp, 'site'));
    const server = await serveStatic(join(tmp, 'site'));
    const browser = await launchChromium(join(tmp, 'profile'));
    try {
      const page = await browser.newPage();
      await page.setViewportSize({ width: 1200, height: 1000 });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(
        `${server.origin}/isolated/index.html?autostart&steps=${STEPS}&every=${EVERY}&units=32`,
      );
      type State = {
        done: boolean;
        error: string | null;
        points: { step: number; train: number; valid: number | null }[];
      };
      const state = () =>
        page.evaluate(() =>
          ((globalThis as { __playground?: State[] }).__playground ?? []).map((p) => ({
            done: p.done,
            error: p.error,
            points: p.points,
          })),
        );
      await page.waitForFunction(
        () => {
          const ps = (globalThis as { __playground?: State[] }).__playground;
          return ps?.length === 2 && ps.every((p) => p.done || p.error !== null);
        },
        null,
        { timeout: 330_000 },
      );
      const panels = await state();
      expect(panels.map((p) => p.error)).toEqual([null, null]);
      for (const p of panels) {
        expect(p.points.map((q) => q.step)).toEqual([10, 20, 30]);
        for (const q of p.points) {
          expect(Number.isFinite(q.train) && q.train > 0).toBe(true);
          expect(Number.isFinite(q.valid) && q.valid! > 0).toBe(true);
        }
      }
      // Every number shown in the tables is finite.
      const cells = await page.$$eval('table.numbers tbody td', (tds) =>
        tds.map((td) => td.textContent ?? ''),
      );
      expect(cells).toHaveLength(2 * 3 * 4);
      for (const c of cells) expect(Number.isFinite(Number(c)), `cell '${c}'`).toBe(true);
      const statuses = await page.$$eval('.model .status', (s) => s.map((e) => e.textContent ?? ''));
      for (const s of statuses) expect(s).toMatch(/kernels: wasm simd128(\+relaxed)?, 2 threads/);

      // The curves, on the screenshot: blue (train) and orange (valid) pixels inside each canvas.
      const png = await page.screenshot({ fullPage: true });
      if (process.env.REGULAB_SCREENSHOT)
        await page.screenshot({ path: process.env.REGULAB_SCREENSHOT, fullPage: true });
      const img = decodePng(png);
      const boxes = await page.$$eval('canvas', (cs) =>
        cs.map((c) => {
          const r = c.getBoundingClientRect();
          return { x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height };
        }),
      );
      expect(boxes).toHaveLength(2);
      for (const box of boxes) {
        expect(countColor(img, box, [0x1f, 0x77, 0xb4]), 'train curve pixels').toBeGreaterThan(150);
        expect(countColor(img, box, [0xff, 0x7f, 0x0e]), 'valid curve pixels').toBeGreaterThan(150);
      }

      // Sampling from each trained model.
      await page.click('.model:nth-child(1) button.sample');
      await page.click('.model:nth-child(2) button.sample');
      await page.waitForFunction(
        () =>
          Array.from(document.querySelectorAll('pre.sampled')).every((p) => (p.textContent ?? '').length > 0),
        null,
        { timeout: 60_000 },
      );
      const samples = await page.$$eval('pre.sampled', (ps) => ps.map((p) => p.textContent ?? ''));
      const alphabet = new Set(await page.$eval('#text', (t) => (t as HTMLTextAreaElement).value));
      for (const s of samples) {
        expect([...s]).toHaveLength(200);
        for (const ch of s) expect(alphabet.has(ch)).toBe(true);
      }
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      await server.close();
    }
  }, 420_000);
});
