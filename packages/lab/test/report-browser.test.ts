/**
 * The report in a real headless Chromium (Debian `chromium`, driven by playwright-core): the charts
 * render (SVG with paths, non-zero size), the page logs no console error and makes no network
 * request. Skips when /usr/bin/chromium is absent (CI installs it: apt-get install chromium).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { afterAll, describe, expect, it } from 'vitest';

import { chromiumMissing, haveChromium, launchChromium } from '../src/browser/chromium.js';
import { writeReport } from '../src/report/write-report.js';
import { FIXTURE_RUNS, writeFixtureRun } from './report-fixtures.js';

if (!haveChromium) console.warn(`skipping the browser test of the report: ${chromiumMissing}`);

const tmp = mkdtempSync(join(tmpdir(), 'regulab-browser-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!haveChromium)('report in headless Chromium', () => {
  it('charts render, no console errors, no network requests', async () => {
    const dirs = FIXTURE_RUNS.map((r) => writeFixtureRun(join(tmp, 'runs'), r));
    const out = join(tmp, 'compare', 'report.html');
    await writeReport(dirs, out, { title: 'Brown corpus, character level' });
    const pageUrl = pathToFileURL(out).href;

    const context = await launchChromium(join(tmp, 'profile'));
    try {
      const page = await context.newPage();
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      context.on('request', (r) => requests.push(r.url()));
      await page.goto(pageUrl, { waitUntil: 'load' });

      const charts = await page.$$eval('figure svg', (svgs) =>
        svgs.map((svg) => {
          const box = svg.getBoundingClientRect();
          return {
            width: box.width,
            height: box.height,
            paths: svg.querySelectorAll('path').length,
            drawnPaths: Array.from(svg.querySelectorAll('path')).filter(
              (p) => (p.getAttribute('d') ?? '').length > 20,
            ).length,
            texts: Array.from(svg.querySelectorAll('text')).map((t) => t.textContent),
          };
        }),
      );
      expect(charts).toHaveLength(2);
      for (const c of charts) {
        expect(c.width).toBeGreaterThan(300);
        expect(c.height).toBeGreaterThan(150);
        expect(c.drawnPaths).toBeGreaterThanOrEqual(3); // one line per run at least
        expect(c.texts).toContain('Epoch');
      }
      expect(charts[0]!.texts).toEqual(
        expect.arrayContaining(['Bits per character', 'Run', 'Split', 'zoneout']),
      );
      const tableRows = await page.$$eval('#results tbody tr', (rows) => rows.length);
      expect(tableRows).toBe(3);
      const conclusions = await page.$$eval('#conclusions li', (lis) => lis.map((li) => li.textContent));
      expect(conclusions[0]).toBe(
        'zoneout has the best validation BPC at the epoch of lowest validation loss: 1.502 at epoch 20 of 20.',
      );

      if (process.env.REGULAB_SCREENSHOT)
        await page.screenshot({ path: process.env.REGULAB_SCREENSHOT, fullPage: true });
      expect(problems).toEqual([]);
      expect(requests.filter((u) => u !== pageUrl)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
