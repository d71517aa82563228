/**
 * Experiment jobs end to end, in-process through `main` (quick presets, tiny sizes): a compare
 * directory written before compare became a definition resumes and reproduces that version's
 * numbers, and `--seeds 2` trains every variant for every seed in its own run directory, reports
 * mean ± sd and intervals, and resumes.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as rl from 'regulab';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { ExitCode } from '../src/errors.js';
import { DEFINITIONS } from '../src/experiments/definitions/index.js';
import { readMetrics } from '../src/store/metrics-log.js';

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { stdout: (l) => out.push(l), stderr: (l) => err.push(l) });
  return { code, lines: out, err: err.join('\n') };
}

const fixture = (name: string) => join(import.meta.dirname, 'fixtures', name);
const fresh = () => join(mkdtempSync(join(tmpdir(), 'regulab-seeds-')), 'job');
const strip = (file: string) => readMetrics(file).map(({ seconds: _, ...rest }) => rest);

describe('experiment jobs', () => {
  it('resumes a compare directory of commit 88b59f2 (config.json only) and reproduces its numbers', async () => {
    const dir = fresh();
    const old = readFileSync(fixture('compare-quick-config-88b59f2.json'), 'utf8');
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), old);
    const r = await cli('resume', dir, '--json');
    expect(r.code, r.err).toBe(ExitCode.ok);
    const s = JSON.parse(r.lines.at(-1)!);
    expect(s.runs.map((x: { name: string }) => x.name)).toEqual([
      'unregularized',
      'gal',
      'semeniuta',
      'zoneout',
      'weight-drop',
    ]);
    expect(s).not.toHaveProperty('statistics');
    expect(existsSync(join(dir, 'report.html'))).toBe(true);
    // The golden metrics were written by 88b59f2 with the kernel backend its config names.
    if (rl.kernels.backend() === JSON.parse(old).kernelBackend) {
      for (const v of ['unregularized', 'zoneout'])
        expect(strip(join(dir, v, 'metrics.jsonl'))).toEqual(
          strip(fixture(`compare-quick-${v}-metrics-88b59f2.jsonl`)),
        );
    }
  }, 120_000);

  it('--seeds 2 trains every variant for seeds s and s + 1, reports mean ± sd and intervals, and resumes', async () => {
    const dir = fresh();
    const args = [
      '--preset',
      'quick',
      '--epochs',
      '1',
      '--train-chars',
      '600',
      '--seed',
      '3',
      '--seeds',
      '2',
    ];
    const r = await cli('run', 'compare', ...args, '--out', dir, '--json');
    expect(r.code, r.err).toBe(ExitCode.ok);
    const s = JSON.parse(r.lines.at(-1)!);
    expect(s.seeds).toEqual([3, 4]);
    expect(s.runs.map((x: { name: string; seed: number }) => `${x.name}/${x.seed}`).slice(0, 4)).toEqual([
      'unregularized/3',
      'unregularized/4',
      'gal/3',
      'gal/4',
    ]);
    expect(s.runs).toHaveLength(10);
    expect(existsSync(join(dir, 'zoneout', 'config.json'))).toBe(false);
    const zoneout4 = JSON.parse(readFileSync(join(dir, 'zoneout', 'seed-4', 'config.json'), 'utf8'));
    expect(zoneout4).toMatchObject({ seed: 4, zoneoutCell: 0.5, epochs: 1, trainChars: 600 });
    expect(readMetrics(join(dir, 'zoneout', 'seed-4', 'metrics.jsonl'))).toHaveLength(3); // 1 epoch × 3 splits

    // Statistics: every variant has both seeds on both measures; four comparisons per measure.
    expect(
      s.statistics.variants.map((v: { measures: { test: { n: number } } }) => v.measures.test.n),
    ).toEqual([2, 2, 2, 2, 2]);
    expect(s.statistics.comparisons).toHaveLength(8);
    const verdicts = s.conclusions.filter((c: string) => !c.startsWith('By mean'));
    expect(verdicts).toHaveLength(8);
    for (const c of verdicts)
      expect(c).toMatch(/supported by the 2 seeds\.$|not distinguishable by .* with 2 seeds/);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    for (const text of ['Across seeds 3, 4', 'mean ± sd', 'Learning curves (seed 3)', 'Results (seed 3)'])
      expect(html).toContain(text);

    // A finished job resumes to the same summary; a lost run is trained again, to the same numbers;
    // the temporary file of a write the job itself was killed in is removed (a Ctrl-C leftover).
    rmSync(join(dir, 'gal', 'seed-4'), { recursive: true });
    const leftover = join(dir, '.summary.json.tmp-99999-0');
    writeFileSync(leftover, '{"half": ');
    const again = await cli('resume', dir, '--json');
    expect(again.code, again.err).toBe(ExitCode.ok);
    expect(existsSync(leftover)).toBe(false);
    const { runDir: _a, ...first } = s;
    const { runDir: _b, ...second } = JSON.parse(again.lines.at(-1)!);
    expect(second).toEqual(first);
  }, 180_000);

  it('--seeds applies to experiments only', async () => {
    const r = await cli('run', 'charlm', '--seeds', '2');
    expect(r.code).toBe(ExitCode.usage);
    expect(r.err).toContain(
      `--seeds applies to experiments with variants (${DEFINITIONS.map((d) => d.name).join(', ')}); for one charlm run choose its seed with --seed`,
    );
    const bad = await cli('run', 'compare', '--seeds', '1.5');
    expect(bad.code).toBe(ExitCode.usage);
    expect(bad.err).toMatch(/--seeds: must be a positive integer, got "1\.5"/);
  });
});
