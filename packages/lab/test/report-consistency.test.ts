/**
 * The report agrees with the run: the best epoch is the one the trainer restored (lowest
 * validation loss, not best accuracy), the generalization gap has the sign its label says, runs
 * of different experiments are not ranked against each other, a report of several runs does not
 * overwrite a run's own report, `--out X.html` keeps its figures in `X-plots/`, and a compare
 * directory can be reported like it can be resumed.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../src/errors.js';
import { gapFigure } from '../src/report/charts.js';
import { computeConclusions } from '../src/report/conclusions.js';
import { metricInfo } from '../src/report/metrics.js';
import type { RunData } from '../src/report/run-data.js';
import { summarizeRuns } from '../src/report/summarize.js';
import { cli } from './cli-in-process.js';
import { FIXTURE_RUNS, writeFixtureRun } from './report-fixtures.js';

/**
 * An smnist-like run: epoch 1 has the best validation accuracy (0.25) but epoch 2 the lowest
 * validation loss (1.9), so the trainer keeps epoch 2 (test 0.125), as in the example.
 */
const classifier: RunData = {
  dir: '/runs/smnist',
  name: 'smnist',
  config: { experiment: 'smnist' },
  warnings: [],
  rows: [
    { epoch: 1, split: 'train', loss: 2.2, accuracy: 0.2 },
    { epoch: 1, split: 'valid', loss: 2.0, accuracy: 0.25 },
    { epoch: 1, split: 'test', loss: 2.0, accuracy: 0.1563 },
    { epoch: 2, split: 'train', loss: 1.7, accuracy: 0.4 },
    { epoch: 2, split: 'valid', loss: 1.9, accuracy: 0.1875 },
    { epoch: 2, split: 'test', loss: 1.9, accuracy: 0.125 },
  ],
};

describe('report numbers', () => {
  const accuracy = metricInfo('accuracy');

  it('best epoch = lowest validation loss (the restored weights), with that epoch’s test value', () => {
    const [s] = summarizeRuns([classifier], accuracy);
    expect(s!.best).toEqual({ epoch: 2, value: 0.1875 });
    expect(s!.test).toBe(0.125);
  });

  it('the generalization gap is training minus validation accuracy: positive when training is better', () => {
    const summaries = summarizeRuns([classifier], accuracy);
    const text = computeConclusions(summaries, accuracy, { baseline: null }).join(' ');
    // train 40% − valid 18.75% at epoch 2
    expect(text).toContain(
      'Generalization gap at the best epoch (training minus validation accuracy): 21.25%',
    );
    const spec = JSON.stringify(gapFigure([classifier], accuracy).spec);
    expect(spec).toContain('"title":"Training minus validation accuracy"');
    expect(spec).not.toContain('Valid − train');
  });
});

describe('regulab report', () => {
  const root = () => mkdtempSync(join(tmpdir(), 'regulab-report-'));

  it('refuses runs of different experiments', async () => {
    const dir = root();
    const a = writeFixtureRun(dir, FIXTURE_RUNS[0]!);
    const b = writeFixtureRun(dir, { ...FIXTURE_RUNS[1]!, config: { experiment: 'smnist' } });
    const r = await cli('report', a, b, '--out', join(dir, 'r.html'));
    expect(r.code).toBe(ExitCode.usage);
    expect(r.errLines).toEqual([expect.stringContaining('runs of different experiments (charlm, smnist)')]);
  });

  it("several runs need --out, never overwrite a run's own report, and keep the figures in <name>-plots/", async () => {
    const dir = root();
    const [a, b] = FIXTURE_RUNS.slice(0, 2).map((run) => writeFixtureRun(dir, run));
    const refused = await cli('report', a!, b!);
    expect(refused.code).toBe(ExitCode.usage);
    expect(refused.errLines).toEqual([expect.stringContaining('needs --out <file>')]);
    const file = join(dir, 'mine', 'cmp.html');
    const r = await cli('report', a!, b!, '--out', file);
    expect(r.code, r.err).toBe(ExitCode.ok);
    expect(existsSync(file)).toBe(true);
    expect(existsSync(join(dir, 'mine', 'cmp-plots'))).toBe(true);
    expect(existsSync(join(dir, 'mine', 'plots'))).toBe(false);
    expect(existsSync(join(a!, 'report.html'))).toBe(false);
  });

  it('a compare directory stands for its runs, and gets its report.html by default', async () => {
    const dir = join(root(), 'compare');
    mkdirSync(dir);
    for (const run of FIXTURE_RUNS) writeFixtureRun(dir, run);
    const variants = FIXTURE_RUNS.map((run) => ({ name: run.name }));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ experiment: 'compare', variants }));
    const r = await cli('report', dir);
    expect(r.code, r.err).toBe(ExitCode.ok);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    for (const run of FIXTURE_RUNS) expect(html).toContain(run.name);
    // The config column lists what sets each run apart (values other than the most common one).
    const cells = [...html.matchAll(/<td class="cfg">(.*?)<\/td>/g)].map((m) => m[1]);
    expect(cells).toEqual([
      '<span class="muted">—</span>',
      '<code>zoneoutCell=0.5</code> <code>zoneoutHidden=0.05</code>',
      '<code>dropout=0.25</code>',
    ]);
  });
});
