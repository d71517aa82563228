/**
 * Sweeps on one machine, end to end through `main` (in this process: the runs go one after
 * another) with tiny charlm runs: a 2 × 2 grid × 2 seeds trains every cell and seed exactly once,
 * reports a heatmap, its best cell and intervals, and started again finds the same sweep with
 * nothing left to train; a random search with successive halving stops the worse trials at the
 * first rung and promotes, by the end, the top 1/η of it; and the sweep command killed (the built
 * executable, its runs in worker processes) and started again picks up the same sweep.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../src/errors.js';
import { studentTQuantile } from '../src/stats/index.js';
import { readMetrics } from '../src/store/metrics-log.js';
import { lastJson, metrics, start } from './cli-child.js';
import { cli } from './cli-in-process.js';

const TINY = ['--preset', 'quick', '--train-chars', '600', '--eval-tokens', '200'];
const fresh = () => join(mkdtempSync(join(tmpdir(), 'regulab-sweep-')), 'sweep');
const epochsOf = (dir: string) => readMetrics(join(dir, 'metrics.jsonl')).map((r) => `${r.epoch}/${r.split}`);

interface Summary {
  best: string;
  report: string;
  cells: {
    name: string;
    values: Record<string, string>;
    valid: { n: number; mean: number; sd: number; halfWidth: number };
    runs: { run: string; epochs: number; status: string; ended: string }[];
  }[];
  conclusions: string[];
}

describe('regulab sweep (one machine)', () => {
  it('runs a 2 × 2 grid × 2 seeds once each, reports it, and started again finds it done', async () => {
    const dir = fresh();
    const args = [
      'sweep',
      'charlm',
      ...TINY,
      '--epochs',
      '2',
      '--optimizer',
      'adamw',
      '--grid',
      'dropout=0,0.25',
      '--grid',
      'weight-decay=0,1e-4',
      '--seeds',
      '2',
      '--out',
      dir,
    ];
    const r = await cli(...args, '--json');
    expect(r.code, r.err).toBe(ExitCode.ok);
    const s = JSON.parse(r.lines.at(-1)!) as Summary;
    expect(s.cells.map((c) => c.values)).toEqual([
      { dropout: '0', 'weight-decay': '0' },
      { dropout: '0', 'weight-decay': '1e-4' },
      { dropout: '0.25', 'weight-decay': '0' },
      { dropout: '0.25', 'weight-decay': '1e-4' },
    ]);
    const runs = s.cells.flatMap((c) => c.runs.map((x) => join(dir, x.run)));
    expect(runs).toHaveLength(8);
    for (const run of runs) {
      // Every epoch once per split: nothing trained twice.
      expect(epochsOf(run)).toEqual(['1/train', '1/valid', '1/test', '2/train', '2/valid', '2/test']);
      expect(JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8')).status).toBe('finished');
    }
    // The seeds differ (each run has its own), and the cell statistics are Student t's over them.
    for (const c of s.cells) {
      expect(c.valid.n).toBe(2);
      expect(c.valid.sd).toBeGreaterThan(0);
      expect(c.valid.halfWidth).toBeCloseTo((studentTQuantile(0.975, 1) * c.valid.sd) / Math.SQRT2, 12);
    }
    const bestMean = Math.min(...s.cells.map((c) => c.valid.mean));
    expect(s.cells.find((c) => c.name === s.best)!.valid.mean).toBe(bestMean);
    expect(s.conclusions[0]).toContain(`“${s.best}”`);
    expect(s.conclusions[0]).toMatch(/95% CI \[\d\.\d{3}, \d\.\d{3}\]/);
    const html = readFileSync(s.report, 'utf8');
    expect(html).toContain('id="fig-sweep-heatmap"');
    expect(html).toContain('c4-dropout=0.25_weight-decay=1e-4');
    expect(existsSync(join(dir, 'plots', 'sweep-heatmap.png'))).toBe(true);

    // The same command again: the same sweep, nothing to train (the metrics files stay as they were).
    const before = runs.map((run) => readFileSync(join(run, 'metrics.jsonl'), 'utf8'));
    const again = await cli(...args);
    expect(again.code, again.err).toBe(ExitCode.ok);
    expect(again.out).toContain('continuing the sweep');
    expect(again.out).toContain('(0 not ended)');
    expect(runs.map((run) => readFileSync(join(run, 'metrics.jsonl'), 'utf8'))).toEqual(before);

    // Another sweep in that directory is refused; the status reads the directory.
    const other = await cli(...args.slice(0, -2), '--grid', 'hidden=4', '--out', dir);
    expect(other.code).toBe(ExitCode.usage);
    expect(other.err).toMatch(/holds another sweep/);
    const status = await cli('sweep', '--status', dir, '--json');
    expect(JSON.parse(status.lines[0]!)).toMatchObject({ runs: 8, finished: 8, failed: 0, reported: true });
  }, 240_000);

  it('random search with successive halving stops the worse trials at the first rung', async () => {
    const dir = fresh();
    const r = await cli(
      'sweep',
      'charlm',
      ...TINY,
      '--epochs',
      '3',
      '--search',
      'random',
      '--trials',
      '6',
      '--range',
      'lr=1e-3:3e-2:log',
      '--halving',
      '--rung-epochs',
      '1',
      '--reduction',
      '3',
      '--out',
      dir,
      '--json',
    );
    expect(r.code, r.err).toBe(ExitCode.ok);
    const s = JSON.parse(r.lines.at(-1)!) as Summary;
    const trials = s.cells.map((c) => ({ ...c.runs[0]!, lr: Number(c.values.lr) }));
    expect(trials).toHaveLength(6);
    // Rungs at epochs 1 and 3: a trial stops at one or the other, never between.
    for (const t of trials) expect([1, 3]).toContain(t.epochs);
    const promoted = trials.filter((t) => t.epochs === 3);
    expect(promoted.length).toBeGreaterThanOrEqual(2); // ⌊6 / 3⌋
    expect(promoted.length).toBeLessThan(6);
    // When the sweep ends, the best ⌊6/3⌋ of the first rung (validation loss at epoch 1) were promoted.
    const atRung0 = trials.map((t) => ({
      ...t,
      loss: readMetrics(join(dir, t.run, 'metrics.jsonl')).find((x) => x.epoch === 1 && x.split === 'valid')!
        .loss,
    }));
    const top = [...atRung0].sort((a, b) => a.loss - b.loss).slice(0, 2);
    for (const t of top) expect(t.epochs).toBe(3);
    for (const t of trials.filter((x) => x.epochs === 1)) expect(t.ended).toBe('stopped at rung 0 (epoch 1)');
    expect(s.conclusions.join(' ')).toMatch(/Successive halving trained \d+ epochs in all, \d+% of the 18/);
    expect(readFileSync(s.report, 'utf8')).toContain('id="fig-sweep-halving"');
  }, 240_000);
});

describe('regulab sweep killed and started again (child processes)', () => {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  it('picks up the same sweep: every run resumes from its checkpoint, each epoch once', async () => {
    const dir = fresh();
    const args = ['sweep', 'charlm', ...TINY, '--epochs', '6', '--grid', 'dropout=0,0.25', '--workers', '2'];
    const first = start([...args, '--out', dir, '--json']);
    const runs = ['c1-dropout=0/seed-1', 'c2-dropout=0.25/seed-1'].map((r) => join(dir, r));
    // Killed (SIGKILL) once a run has a checkpoint and has not finished.
    const deadline = Date.now() + 120_000;
    while (
      !runs.some(
        (r) => existsSync(join(r, 'checkpoints', 'last.ckpt')) && !existsSync(join(r, 'summary.json')),
      )
    ) {
      if (Date.now() > deadline) throw new Error('no run reached a checkpoint');
      await new Promise((r) => setTimeout(r, 20));
    }
    first.child.kill('SIGKILL');
    await first.done;
    // Its workers stop at their next batch when their parent is gone; wait until they have.
    for (const r of runs) {
      const lock = join(r, 'lock');
      while (existsSync(lock) && alive(JSON.parse(readFileSync(lock, 'utf8')).pid as number))
        await new Promise((res) => setTimeout(res, 20));
    }
    const second = await start([...args, '--out', dir, '--json']).done;
    expect(second.code, second.stderr).toBe(ExitCode.ok);
    expect(lastJson(second.stdout).failed).toEqual([]);
    for (const r of runs) {
      expect(metrics(r).map((m) => m.epoch)).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6]);
      expect(JSON.parse(readFileSync(join(r, 'summary.json'), 'utf8')).status).toBe('finished');
    }
  }, 240_000);
});
