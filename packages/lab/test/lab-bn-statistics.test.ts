/**
 * `--bn-statistics` (smnist, pmnist): a finished run with recurrent batch norm recomputes the
 * per-step population statistics from its training images before a final validation/test
 * evaluation (experiments/final-evaluation.ts). On the quick pmnist preset (2 epochs of 64 images,
 * 28 steps) with `lstm*.normalization=batch`: the presets' value 'population' runs the pass, the log
 * says so with before → after scores, summary.json keeps both, its test is the final one, the scores
 * differ from the best epoch's (moving averages after 8 momentum-0.99 updates are far from the
 * data's statistics), and the report marks the test value. 'moving' and models without batch norm
 * skip it. A config.json written before the option (no key) stays valid and keeps no key, so its
 * checkpoint's config still matches on resume.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../src/experiments/config.js';
import { cli } from './cli-in-process.js';

const fresh = () => join(mkdtempSync(join(tmpdir(), 'regulab-bn-')), 'run');
const read = (dir: string, file: string) => JSON.parse(readFileSync(join(dir, file), 'utf8'));
const BN = ['--set', 'lstm*.normalization=batch'];

describe('--bn-statistics on pmnist --preset quick', () => {
  it('population (the preset): recomputes, scores again, logs and reports before → after', async () => {
    const dir = fresh();
    const r = await cli('run', 'pmnist', '--preset', 'quick', ...BN, '--out', dir);
    expect(r.code, r.err).toBe(0);
    expect(read(dir, 'config.json').bnStatistics).toBe('population');
    const summary = read(dir, 'summary.json');
    const final = summary.final;
    expect(final).toMatchObject({ bnStatistics: 'population', examples: 64, metric: 'accuracy' });
    expect(final.layers).toHaveLength(1);
    // The best epoch's scores, as metrics.jsonl has them, are kept as `before`.
    const rows = readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const at = (split: string) => rows.find((x) => x.epoch === summary.bestEpoch && x.split === split);
    expect(final.before.valid).toEqual({ loss: at('valid').loss, metric: at('valid').accuracy });
    expect(final.before.test).toEqual({ loss: at('test').loss, metric: at('test').accuracy });
    expect(summary.bestValid).toBe(at('valid').accuracy);
    expect(summary.test).toBe(final.test.metric);
    expect(final.valid.loss).not.toBe(final.before.valid.loss);
    expect(final.test.loss).not.toBe(final.before.test.loss);
    expect(r.out).toMatch(
      /final evaluation with batch norm's population statistics \(recomputed over 64 training examples, layer\(s\) \S+\): valid accuracy [\d.]+ → [\d.]+, loss [\d.]+ → [\d.]+; test accuracy/,
    );
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('BN population</span>');
    expect(html).toContain('Valid accuracy at best-loss epoch');
  }, 300_000);

  it("'moving' and a model without batch norm skip the pass", async () => {
    for (const args of [[...BN, '--bn-statistics', 'moving'], []]) {
      const dir = fresh();
      const r = await cli('run', 'pmnist', '--preset', 'quick', '--epochs', '1', ...args, '--out', dir);
      expect(r.code, r.err).toBe(0);
      const summary = read(dir, 'summary.json');
      expect(summary.final).toBeUndefined();
      expect(r.out).not.toContain('final evaluation');
      expect(readFileSync(join(dir, 'report.html'), 'utf8')).not.toContain('BN population</span>');
    }
  }, 300_000);

  it('a config.json from before the option validates and keeps no key; a bad value names the flag', async () => {
    const dir = fresh();
    const r = await cli('run', 'pmnist', '--preset', 'quick', '--epochs', '1', '--out', dir);
    expect(r.code, r.err).toBe(0);
    const { bnStatistics, ...old } = read(dir, 'config.json');
    expect(bnStatistics).toBe('population');
    expect(validateConfig(old)).not.toHaveProperty('bnStatistics');
    const bad = await cli('run', 'pmnist', '--preset', 'quick', '--bn-statistics', 'exact');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--bn-statistics: .*got "exact"/);
    const other = await cli('run', 'charlm', '--preset', 'quick', '--bn-statistics', 'moving');
    expect(other.err).toMatch(/--bn-statistics does not apply to experiment 'charlm'/);
  }, 300_000);
});
