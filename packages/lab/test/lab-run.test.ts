/**
 * End-to-end runs of the `quick` presets, in-process through `main` (tiny models: seconds each),
 * checking the run directory's files and field names, --json output, resume of a finished run and
 * the NaN stop.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { ExitCode } from '../src/errors.js';
import { validateConfig } from '../src/experiments/config.js';
import { readMetrics } from '../src/store/metrics-log.js';

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { stdout: (l) => out.push(l), stderr: (l) => err.push(l) });
  return { code, lines: out, err: err.join('\n') };
}

const fresh = () => join(mkdtempSync(join(tmpdir(), 'regulab-run-')), 'run');

describe('regulab run <experiment> --preset quick --json', () => {
  it('charlm: writes config.json, metrics.jsonl (exact fields), a checkpoint, summary and prints one JSON line', async () => {
    const out = fresh();
    const r = await cli(
      'run',
      'charlm',
      '--preset',
      'quick',
      '--zoneout-cell',
      '0.5',
      '--out',
      out,
      '--json',
    );
    expect(r.code, r.err).toBe(ExitCode.ok);
    expect(r.lines).toHaveLength(1);
    const summary = JSON.parse(r.lines[0]!);
    expect(summary).toMatchObject({
      runDir: out,
      experiment: 'charlm',
      status: 'finished',
      metric: 'bpc',
      epochs: 3,
    });
    expect(summary.bestEpoch).toBeGreaterThanOrEqual(1);

    const config = validateConfig(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')));
    expect(config).toMatchObject({ experiment: 'charlm', preset: 'quick', zoneoutCell: 0.5 });

    const rows = readMetrics(join(out, 'metrics.jsonl'));
    expect(rows.map((x) => `${x.epoch}:${x.split}`)).toEqual(
      [1, 2, 3].flatMap((e) => ['train', 'valid', 'test'].map((s) => `${e}:${s}`)),
    );
    for (const row of rows) {
      expect(Object.keys(row)).toEqual(['epoch', 'split', 'loss', 'bpc', 'seconds']);
      expect(row.bpc).toBeCloseTo(row.loss / Math.LN2, 12);
      expect(Number.isFinite(row.loss) && row.seconds >= 0).toBe(true);
    }
    // The summary's best validation value is the lowest valid bpc in metrics.jsonl, at its epoch.
    const valid = rows.filter((x) => x.split === 'valid');
    const best = valid.reduce((a, b) => (b.loss < a.loss ? b : a));
    expect(summary.bestValid).toBe(best.bpc);
    expect(summary.bestEpoch).toBe(best.epoch);
    expect(existsSync(join(out, 'checkpoints', 'last.ckpt'))).toBe(true);
    expect(existsSync(join(out, 'report.html'))).toBe(true);

    // `report` writes a side-by-side report; `list` finds the run.
    const notRun = await cli('report', out, join(out, 'checkpoints'));
    expect(notRun.code).toBe(ExitCode.usage);
    expect(notRun.err).toContain('is not a run directory (no metrics.jsonl)');
    const one = await cli('report', out, '--out', join(out, 'again.html'), '--json');
    expect(one.code, one.err).toBe(ExitCode.ok);
    expect(JSON.parse(one.lines[0]!)).toEqual({ report: join(out, 'again.html') });
    const list = await cli('list', join(out, '..'), '--json');
    expect(JSON.parse(list.lines[0]!).runs).toEqual([
      { dir: out, experiment: 'charlm', status: 'finished', epochs: 3 },
    ]);

    // One process per run directory: a live owner's lock refuses a second resume, a stale one is taken over.
    writeFileSync(join(out, 'lock'), String(process.ppid));
    const busy = await cli('resume', out, '--json');
    expect(busy.code).toBe(ExitCode.usage);
    expect(busy.err).toContain(`is in use by process ${process.ppid}`);
    const dead = spawnSync(process.execPath, ['-e', '']).pid!; // a process that has exited
    writeFileSync(join(out, 'lock'), String(dead));
    expect((await cli('resume', out, '--json', '--no-report')).code).toBe(ExitCode.ok);
    expect(existsSync(join(out, 'lock'))).toBe(false);

    // Resuming a finished run trains nothing and reports the same result.
    const again = await cli('resume', out, '--json', '--no-report');
    expect(again.code, again.err).toBe(ExitCode.ok);
    expect(JSON.parse(again.lines[0]!)).toEqual(summary);
    expect(readMetrics(join(out, 'metrics.jsonl'))).toEqual(rows);
  });

  it('the same seed gives the same metrics (masks, init and data order all seeded)', async () => {
    const args = ['--preset', 'quick', '--epochs', '1', '--dropout', '0.3', '--weight-drop', '0.3', '--json'];
    const [a, b] = [fresh(), fresh()];
    expect((await cli('run', 'charlm', ...args, '--out', a)).code).toBe(0);
    expect((await cli('run', 'charlm', ...args, '--out', b)).code).toBe(0);
    const strip = (d: string) => readMetrics(join(d, 'metrics.jsonl')).map(({ seconds: _, ...rest }) => rest);
    expect(strip(b)).toEqual(strip(a));
  });

  it('compare --preset quick trains the five variants and writes one report', async () => {
    const out = fresh();
    const r = await cli('run', 'compare', '--preset', 'quick', '--out', out, '--json');
    expect(r.code, r.err).toBe(ExitCode.ok);
    const s = JSON.parse(r.lines.at(-1)!);
    expect(s.runs.map((x: { name: string }) => x.name)).toEqual([
      'unregularized',
      'gal',
      'semeniuta',
      'zoneout',
      'weight-drop',
    ]);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    for (const name of ['unregularized', 'zoneout', 'weight-drop']) expect(html).toContain(name);
    const zoneout = validateConfig(JSON.parse(readFileSync(join(out, 'zoneout', 'config.json'), 'utf8')));
    expect(zoneout).toMatchObject({ zoneoutCell: 0.5, zoneoutHidden: 0.05, dropout: 0, weightDrop: 0 });
    const gal = validateConfig(JSON.parse(readFileSync(join(out, 'gal', 'config.json'), 'utf8')));
    expect(gal).toMatchObject({ dropout: 0.25, recurrentDropout: 0.25, recurrentDropoutMode: 'gal' });
  });

  it('wordlm reports perplexity and smnist accuracy', async () => {
    const w = fresh();
    const rw = await cli('run', 'wordlm', '--preset', 'quick', '--epochs', '1', '--out', w, '--json');
    expect(rw.code, rw.err).toBe(0);
    expect(Object.keys(readMetrics(join(w, 'metrics.jsonl'))[1]!)).toEqual([
      'epoch',
      'split',
      'loss',
      'perplexity',
      'seconds',
    ]);
    const m = fresh();
    const rm = await cli('run', 'smnist', '--preset', 'quick', '--epochs', '1', '--out', m, '--json');
    expect(rm.code, rm.err).toBe(0);
    const rows = readMetrics(join(m, 'metrics.jsonl'));
    expect(Object.keys(rows[1]!)).toEqual(['epoch', 'split', 'loss', 'accuracy', 'seconds']);
    for (const row of rows) expect(row.accuracy! >= 0 && row.accuracy! <= 1).toBe(true);
  });

  it('a diverging run stops with exit 1 and a clear error, and records the failure', async () => {
    const out = fresh();
    // SGD with a step that is infinite in float32 and no clipping: the weights become ±∞/NaN at once.
    const r = await cli(
      'run',
      'charlm',
      '--preset',
      'quick',
      '--optimizer',
      'sgd',
      '--lr',
      '1e39',
      '--clip',
      '0',
      '--out',
      out,
      '--json',
    );
    expect(r.code).toBe(ExitCode.runFailed);
    const line = JSON.parse(r.lines.at(-1)!);
    expect(line).toMatchObject({ ok: false, exitCode: 1 });
    expect(line.error).toMatch(/epoch 1, batch \d+\/\d+: the training loss is (NaN|Infinity|-Infinity)/);
    expect(line.error).toContain('No epoch had completed');
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'))).toMatchObject({ status: 'failed' });
    expect(readMetrics(join(out, 'metrics.jsonl'))).toEqual([]);
  });
});
