import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { chooseMetric } from '../src/report/metrics.js';
import { readRun } from '../src/report/run-data.js';
import {
  activeRegularizers,
  configDifferences,
  findBaseline,
  summarizeRuns,
} from '../src/report/summarize.js';
import { renderRunPlots, writeReport } from '../src/report/write-report.js';
import { FIXTURE_RUNS, writeFixtureRun } from './report-fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'regulab-report-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const runsDir = join(tmp, 'runs');
const dirs = FIXTURE_RUNS.map((r) => writeFixtureRun(runsDir, r));
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47];

describe('writeReport', () => {
  it('computes the conclusions from the numbers (values derived by hand from report-fixtures.ts)', async () => {
    const out = join(tmp, 'compare', 'report.html');
    const r = await writeReport(dirs, out);
    expect(r.metric).toBe('bpc');
    expect(r.baseline).toBe('unregularized');
    expect(r.conclusions).toEqual([
      '“zoneout” has the best validation BPC at the epoch of lowest validation loss: 1.502 at epoch 20 of 20.',
      'It beats the runner-up, “variational” (1.550), by 0.048 (3.1%).',
      'Test BPC of “zoneout”: 1.470.',
      'Against the baseline “unregularized” (validation BPC at its lowest-loss epoch 1.600): “zoneout” 1.502 (−0.098, 6.1% better); ' +
        '“variational” 1.550 (−0.050, 3.1% better).',
      '“unregularized” overfits: validation BPC went from 1.600 at epoch 8 to 1.840 at epoch 20 (15.0% worse) ' +
        'while training BPC kept improving, from 1.214 to 1.016.',
      '“zoneout” was still improving at the last epoch: more epochs may help.',
      'Generalization gap at the best epoch (validation minus training BPC): smallest for “zoneout” (0.010), ' +
        'largest for “unregularized” (0.386).',
      'Time: from 3 min 41 s (“unregularized”) to 4 min 31 s (“zoneout”).',
    ]);
    const zone = r.summaries.find((s) => s.name === 'zoneout')!;
    expect(zone.configDiff).toEqual({ dropout: 0, zoneoutCell: 0.5, zoneoutHidden: 0.05 });
  });

  it('writes one self-contained page: inline SVG and CSS, no script, no external reference', async () => {
    const out = join(tmp, 'compare2', 'report.html');
    await writeReport(dirs, out, { title: 'Brown, char level' });
    const html = readFileSync(out, 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('<title>Brown, char level</title>');
    expect((html.match(/<svg[\s>]/g) ?? []).length).toBe(2);
    expect(html).not.toMatch(/<script|<link|<img|@import|src=/i);
    // The only URLs are XML namespace names inside the SVGs, which are never fetched.
    const urls = [...html.matchAll(/https?:\/\/[^\s"')]+/g)].map((m) => m[0]);
    expect(urls.every((u) => u.startsWith('http://www.w3.org/'))).toBe(true);
    // Each run in the table, with its best value.
    for (const v of ['1.502', '1.550', '1.600']) expect(html).toContain(`>${v}<`);
    expect(html).toContain('overfits</span>');
  });

  it('writes every figure as SVG and PNG into plots/ next to the report', async () => {
    const out = join(tmp, 'compare3', 'report.html');
    const r = await writeReport(dirs, out);
    expect(r.plots.map((p) => p.slice(join(tmp, 'compare3', 'plots').length + 1)).sort()).toEqual([
      'generalization-gap-bpc.png',
      'generalization-gap-bpc.svg',
      'learning-curves-bpc.png',
      'learning-curves-bpc.svg',
    ]);
    for (const p of r.plots) {
      const bytes = readFileSync(p);
      if (p.endsWith('.png')) {
        expect(Array.from(bytes.subarray(0, 4))).toEqual(PNG_SIGNATURE);
        // IHDR width: twice the SVG's width (pngScale 2).
        const svgWidth = Number(/width="(\d+)"/.exec(readFileSync(p.replace(/\.png$/, '.svg'), 'utf8'))![1]);
        expect(bytes.readUInt32BE(16)).toBe(2 * svgWidth);
      } else expect(bytes.toString('utf8')).toMatch(/^<svg[^>]*width="\d+"/);
    }
    const svg = readFileSync(
      r.plots.find((p) => p.endsWith('learning-curves-bpc.svg'))!,
      'utf8',
    );
    for (const label of [
      'Epoch',
      'Bits per character',
      'Run',
      'Split',
      'unregularized',
      'zoneout',
      'variational',
    ])
      expect(svg).toContain(`>${label}<`);
  });

  it('renderRunPlots writes the plots of one run into its own plots/ directory', async () => {
    const files = await renderRunPlots(dirs[0]!);
    expect(files).toHaveLength(4);
    for (const f of files) {
      expect(f.startsWith(join(dirs[0]!, 'plots'))).toBe(true);
      expect(existsSync(f)).toBe(true);
    }
  });

  it('a single run: no comparison sentences, overfitting still detected', async () => {
    const r = await writeReport([dirs[0]!], join(dirs[0]!, 'report.html'));
    expect(r.conclusions[0]).toBe(
      'Validation BPC at the epoch of lowest validation loss: 1.600 at epoch 8 of 20.',
    );
    expect(r.conclusions.some((c) => c.startsWith('“unregularized” overfits'))).toBe(true);
    expect(r.conclusions.some((c) => c.startsWith('Against the baseline'))).toBe(false);
    const html = readFileSync(join(dirs[0]!, 'report.html'), 'utf8');
    expect(html).not.toContain('vs baseline');
    expect(html).not.toContain('Config differences');
  });
});

describe('report inputs and helpers', () => {
  it('chooses the metric by what the runs report: accuracy is higher-is-better', () => {
    const dir = join(tmp, 'clf');
    writeFixtureRun(tmp, { ...FIXTURE_RUNS[0]!, name: 'clf', epochs: 2 });
    writeFileSync(
      join(dir, 'metrics.jsonl'),
      [
        { epoch: 1, split: 'train', loss: 0.9, accuracy: 0.7 },
        { epoch: 1, split: 'valid', loss: 1.0, accuracy: 0.65 },
        { epoch: 2, split: 'train', loss: 0.5, accuracy: 0.85 },
        { epoch: 2, split: 'valid', loss: 1.2, accuracy: 0.6 }, // the trainer picks by loss: epoch 1
      ]
        .map((o) => JSON.stringify(o))
        .join('\n'),
    );
    const run = readRun(dir);
    const metric = chooseMetric([run]);
    expect(metric.name).toBe('accuracy');
    const [s] = summarizeRuns([run], metric);
    expect(s!.best).toEqual({ epoch: 1, value: 0.65 });
    expect(s!.overfits).toBe(true); // train 0.70 → 0.85 while valid 0.65 → 0.60 (7.7% worse)
    expect(metric.format(0.6512)).toBe('65.12%');
  });

  it('test value: the test row of the best validation epoch when test is scored every epoch', () => {
    const dir = join(tmp, 'every-epoch');
    writeFixtureRun(tmp, { ...FIXTURE_RUNS[0]!, name: 'every-epoch', epochs: 1 });
    const rows = [1, 2, 3].flatMap((e) => [
      { epoch: e, split: 'train', loss: 1, bpc: 2 - 0.1 * e },
      { epoch: e, split: 'valid', loss: [1.3, 1.2, 1.25][e - 1], bpc: [1.9, 1.7, 1.8][e - 1] },
      { epoch: e, split: 'test', loss: 1, bpc: [1.95, 1.75, 1.85][e - 1] },
    ]);
    writeFileSync(join(dir, 'metrics.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const run = readRun(dir);
    const [s] = summarizeRuns([run], chooseMetric([run]));
    expect(s!.best).toEqual({ epoch: 2, value: 1.7 });
    expect(s!.test).toBe(1.75);
  });

  it('a margin under 1% between the two best runs comes with a seed-noise caution', async () => {
    const close = [
      { ...FIXTURE_RUNS[0]!, name: 'a', valid: (e: number) => 2 - 0.02 * e },
      { ...FIXTURE_RUNS[0]!, name: 'b', valid: (e: number) => 2.01 - 0.02 * e },
    ].map((r) => writeFixtureRun(join(tmp, 'close'), r));
    const r = await writeReport(close, join(tmp, 'close', 'report.html'));
    // a: 1.600 at epoch 20, b: 1.610; margin 0.010 = 0.6% of 1.610.
    expect(r.conclusions.slice(1, 3)).toEqual([
      'It beats the runner-up, “b” (1.610), by 0.010 (0.6%).',
      'That margin is under 1%: with one seed per run it may be within seed-to-seed variation; repeat with other seeds before concluding.',
    ]);
  });

  it('null values (a diverged epoch: JSON has no NaN) are accepted and left out of the numbers', () => {
    const dir = join(tmp, 'diverged');
    writeFixtureRun(tmp, { ...FIXTURE_RUNS[0]!, name: 'diverged', epochs: 1 });
    const rows = [
      { epoch: 1, split: 'train', loss: 1, bpc: 1.5 },
      { epoch: 1, split: 'valid', loss: 1, bpc: 1.6 },
      { epoch: 2, split: 'train', loss: null, bpc: null },
      { epoch: 2, split: 'valid', loss: null, bpc: null },
    ];
    writeFileSync(join(dir, 'metrics.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const run = readRun(dir);
    const [s] = summarizeRuns([run], chooseMetric([run]));
    expect(s!.best).toEqual({ epoch: 1, value: 1.6 });
    expect(s!.lastValid).toEqual({ epoch: 1, value: 1.6 });
  });

  it('errors name the file, the line and the field', () => {
    const dir = join(tmp, 'bad');
    writeFixtureRun(tmp, { ...FIXTURE_RUNS[0]!, name: 'bad', epochs: 1 });
    writeFileSync(
      join(dir, 'metrics.jsonl'),
      '{"epoch":1,"split":"train","loss":1}\n{"epoch":1,"split":"dev","loss":1}\n',
    );
    expect(() => readRun(dir)).toThrow(/bad\/metrics\.jsonl: line 2: field "split"/);
    writeFileSync(
      join(dir, 'metrics.jsonl'),
      '{"epoch":1,"split":"train","loss":1}\nnot json\n{"epoch":2}\n',
    );
    expect(() => readRun(dir)).toThrow(/line 2 is not valid JSON/);
    writeFileSync(join(dir, 'metrics.jsonl'), '{"epoch":1,"split":"train","loss":1}\n{"epoch":2,"spl');
    expect(readRun(dir).warnings).toEqual([`${join(dir, 'metrics.jsonl')}: ignored an unfinished last line`]);
    writeFileSync(join(dir, 'metrics.jsonl'), '\n');
    expect(() => readRun(dir)).toThrow(/metrics\.jsonl: no metric rows/);
    writeFileSync(join(dir, 'config.json'), '[1]');
    expect(() => readRun(dir)).toThrow(/config\.json: must hold a JSON object/);
    expect(() => readRun(join(tmp, 'none'))).toThrow(/none: no such run directory/);
  });

  it('config differences ignore noise keys and flatten nested objects', () => {
    const diffs = configDifferences([
      { out: 'a', lr: 0.002, model: { hidden: 256, zoneout: { cell: 0.5 } } },
      { out: 'b', lr: 0.002, model: { hidden: 256, zoneout: { cell: 0 } } },
    ]);
    expect(diffs).toEqual([{ 'model.zoneout.cell': 0.5 }, { 'model.zoneout.cell': 0 }]);
  });

  it('baseline: by name, else the only run without a regularizer, else none; unknown names are errors', () => {
    const runs = FIXTURE_RUNS.map((r, i) => ({ ...readRun(dirs[i]!), name: `run${i}` }));
    expect(activeRegularizers(runs[0]!.config)).toBe(0);
    expect(activeRegularizers(runs[1]!.config)).toBe(2);
    expect(findBaseline(runs)).toBe(0);
    expect(findBaseline(runs, 'run2')).toBe(2);
    expect(findBaseline([runs[1]!, runs[2]!])).toBeNull();
    expect(() => findBaseline(runs, 'nope')).toThrow(/--baseline: "nope" is not one of the runs/);
  });
});
