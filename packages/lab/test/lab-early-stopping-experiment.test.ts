/**
 * `regulab run early-stopping` (issue 14, experiment 6): the patience replay is the trainer's own
 * early stopping (a run started with --patience p stops, restores and scores exactly where the
 * replay over the never-stopped run says), and the quick job's section reports the numbers of
 * its runs' metrics.jsonl, recomputed here without the report code.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../src/errors.js';
import { stoppingSection, stopWith } from '../src/experiments/definitions/stopping-section.js';
import { readRun } from '../src/report/index.js';
import { cli } from './cli-in-process.js';
import { type FinishedJob, rowAt, rowsOf, runQuickJob } from './experiment-job.js';

const SEEDS = [1, 2];
const OPTS = { unstopped: 'none', patiences: [1, 2, 5, 10], compareAt: 5 };

describe('regulab run early-stopping --preset quick --seeds 2', () => {
  let job: FinishedJob;
  beforeAll(async () => {
    job = await runQuickJob('early-stopping', SEEDS.length);
  }, 600_000);
  const none = (seed: number) => join(job.dir, 'none', `seed-${seed}`);

  it('replays patience exactly as the trainer stops: a run with --patience p is the first epochs of the never-stopped one', async () => {
    const never = readRun(none(1));
    expect(stopWith(never, 1).stopped).toBe(true); // the quick preset overfits, so the replay is not vacuous
    for (const p of [1, 2]) {
      const dir = join(mkdtempSync(join(tmpdir(), 'regulab-es-')), 'run');
      const r = await cli(
        'run',
        'mnist',
        '--preset',
        'quick',
        '--epochs',
        '8',
        '--lr',
        '0.01',
        '--patience',
        String(p),
        '--out',
        dir,
        '--json',
      );
      expect(r.code, r.err).toBe(ExitCode.ok);
      const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
      const stop = stopWith(never, p);
      expect(summary.epochs).toBe(stop.epoch);
      expect(summary.stoppedEarly).toBe(stop.stopped);
      expect(summary.bestEpoch).toBe(stop.restored);
      const stopped = rowsOf(dir);
      // Bit-identical numbers (the rows' wall-clock seconds aside).
      const numbers = (rows: ReturnType<typeof rowsOf>) =>
        rows.map(({ epoch, split, loss, accuracy }) => ({ epoch, split, loss, accuracy }));
      expect(numbers(stopped)).toEqual(numbers(rowsOf(none(1)).filter((row) => row.epoch <= stop.epoch)));
      expect(summary.test).toBe(rowAt(stopped, 'test', stop.restored).accuracy);
    }
  }, 120_000);

  it('says where each patience stops, what not stopping costs, and which L2 is most similar, with the runs’ numbers', () => {
    const own = stoppingSection(job.input, OPTS);
    expect(job.summary.conclusions.slice(-own.conclusions!.length)).toEqual(own.conclusions);
    expect(job.html).toContain('id="fig-early-stopping-curves"');
    const lastTest = SEEDS.map((s) => rowAt(rowsOf(none(s)), 'test', 8).accuracy);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const costSentence = own.conclusions!.find((c) =>
      c.startsWith('The cost of not stopping: after all 8 epochs'),
    )!;
    expect(costSentence).toContain(`test accuracy is ${(mean(lastTest) * 100).toFixed(2)}%`);
    const first = own.conclusions![0]!;
    for (const p of OPTS.patiences) {
      const stops = SEEDS.map((s) => stopWith(readRun(none(s)), p));
      expect(first).toContain(
        `patience ${p} stops after epoch ${mean(stops.map((x) => x.epoch)).toFixed(1)} and restores epoch ${mean(stops.map((x) => x.restored)).toFixed(1)}`,
      );
    }
    expect(
      own.conclusions!.some((c) => /^The L2 penalty of most similar effect is “l2-[0-9e-]+”/.test(c)),
    ).toBe(true);
  });
});
