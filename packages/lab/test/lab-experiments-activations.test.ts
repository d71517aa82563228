/**
 * Issue 14's activation experiments, `variance` and `batchnorm-dropout`: each runs end to end
 * in-process (quick preset, one epoch, two seeds), writes its own section with its figures, and
 * the numbers its conclusions print agree with the ones recomputed here from the runs'
 * probes.jsonl, with the verdict each sentence draws from its interval. The paired ratio the
 * sections use is checked on values worked out by hand.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { changeText, pairedRatio } from '../src/experiments/definitions/activation-values.js';
import { findDefinition } from '../src/experiments/definitions/index.js';
import { activationKeys as key } from '../src/probes/activations.js';
import { readProbes } from '../src/store/probes-log.js';
import { studentTQuantile } from '../src/stats/index.js';
import { runQuickJob } from './experiment-job.js';

const SEEDS = [1, 2];

async function quickRun(name: string): Promise<{ dir: string; conclusions: string[]; html: string }> {
  const { dir, summary, html } = await runQuickJob(name, SEEDS.length, '--epochs', '1');
  expect(summary.runs).toHaveLength(findDefinition(name)!.variants.length * SEEDS.length);
  expect(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')).conclusions).toEqual(
    summary.conclusions,
  );
  return { dir, conclusions: summary.conclusions, html };
}

/** The last epoch's activation values of each seed of `variant`. */
const lastValues = (dir: string, variant: string) =>
  SEEDS.map(
    (s) =>
      readProbes(join(dir, variant, `seed-${s}`, 'probes.jsonl'))
        .filter((r) => r.at === 'epoch')
        .at(-1)!.values,
  );
const geometricMean = (v: number[]) => Math.exp(v.reduce((a, x) => a + Math.log(x), 0) / v.length);
const arithmeticMean = (v: number[]) => v.reduce((a, x) => a + x, 0) / v.length;
/** "×2.45 (95% CI ×2.09–×2.87)" → [2.45, 2.09, 2.87]. */
const ratioIn = (s: string, after: string): number[] => {
  const m = new RegExp(`${after}[^×]*×([\\d.]+) \\(95% CI ×([\\d.]+)–×([\\d.]+)\\)`).exec(s);
  expect(m, `${after} in: ${s}`).not.toBeNull();
  return m!.slice(1).map(Number);
};
/** The verdict a sentence must draw from an interval [low, high] of a ratio. */
const verdictOf = (low: number, high: number) =>
  low > 1 ? 'raises' : high < 1 ? 'lowers' : 'cannot separate';

describe('regulab run variance --preset quick --seeds 2', () => {
  it('writes one figure per layer and concludes what the probe measured', async () => {
    const { dir, conclusions, html } = await quickRun('variance');
    expect(html).toContain('Activation variance with and without dropout');
    for (const id of [
      'before-the-dropout',
      'after-the-dropout',
      'the-logits',
      'cnn-conv-0',
      'cnn-conv-1',
      'cnn-dense',
    ])
      expect(existsSync(join(dir, 'plots', `variance-${id}.png`)), id).toBe(true);
    for (const v of ['mlp', 'mlp-dropout', 'cnn', 'cnn-dropout'])
      expect(
        conclusions.some((c) => c.includes(`“${v}”`)),
        v,
      ).toBe(true);
    for (const [model, variant, before, dropout] of [
      ['MLP', 'mlp-dropout', 'dense_0', 'dropout_0'],
      ['CNN', 'cnn-dropout', 'flatten', 'dropout'],
    ] as const) {
      const said = conclusions.find((c) =>
        c.startsWith(`${model}, at the dropout layer (${dropout}, p = 0.5)`),
      )!;
      expect(said).toBeDefined();
      const values = lastValues(dir, variant);
      // The measured ratio: the geometric mean over seeds of var(after) / var(before), training mode.
      const ratios = values.map(
        (x) => x[key.variance(dropout, 'train')]! / x[key.variance(before, 'train')]!,
      );
      const [ratio, low, high] = ratioIn(said, 'the variance of its input');
      expect(Math.abs(ratio! / geometricMean(ratios) - 1)).toBeLessThan(0.01); // printed to 3 figures
      expect(low).toBeLessThanOrEqual(ratio!);
      expect(high).toBeGreaterThanOrEqual(ratio!);
      expect(said).toContain(verdictOf(low!, high!));
      // The prediction from the 1/(1 − p) scaling, from the moments before the dropout.
      const predicted = arithmeticMean(
        values.map(
          (x) =>
            1 + (0.5 / (1 - 0.5)) * (x[key.square(before, 'train')]! / x[key.variance(before, 'train')]!),
        ),
      );
      expect(said).toContain(`predicts ×${predicted.toFixed(2)}`);
      expect(said).toContain('identity (×1.000)');
    }
    for (const c of conclusions.filter((c) => / at inference: training with dropout /.test(c))) {
      const [, low, high] = ratioIn(c, 'its variance');
      expect(c).toContain(verdictOf(low!, high!));
    }
  }, 300_000);
});

describe('regulab run batchnorm-dropout --preset quick --seeds 2', () => {
  it('computes the variance shift from the probe and says whether BN makes dropout unnecessary', async () => {
    const { dir, conclusions, html } = await quickRun('batchnorm-dropout');
    expect(html).toContain('The variance shift and test accuracy');
    expect(existsSync(join(dir, 'plots', 'variance-shift.png'))).toBe(true);
    for (const v of findDefinition('batchnorm-dropout')!.variants)
      expect(
        conclusions.some((c) => c.includes(`“${v.name}”`)),
        v.name,
      ).toBe(true);
    for (const variant of ['bn', 'dropout-bn', 'bn-dropout']) {
      const said = conclusions.find((c) => c.startsWith(`“${variant}”: batch norm's input`))!;
      const shift = arithmeticMean(lastValues(dir, variant).map((x) => x[key.shift('batch_norm_0')]!)); // as the probe logged it
      expect(said).toContain(`Δ = ${shift.toPrecision(3)}`);
    }
    // Without dropout before it, BN's input is the same in both modes; with it, larger in training.
    const before = conclusions.find((c) => c.startsWith('“dropout-bn”: batch norm'))!;
    expect(ratioIn(before, 'has')[0]).toBeGreaterThan(1.2); // E[x²]/var(x) > 0.2 after a relu
    expect(conclusions.find((c) => c.startsWith('“bn”: batch norm'))).toContain('×1.00 (95% CI ×1.00–×1.00)');
    const verdict = conclusions.find((c) => c.startsWith('Does batch norm make dropout unnecessary here?'))!;
    const [, sign, mean, hw] = /by ([+−])([\d.]+) ± ([\d.]+) pp/.exec(verdict)!;
    const separated = Number(hw) < Number(mean);
    expect(verdict).toContain(
      !separated
        ? 'batch norm makes it unnecessary as far as these seeds tell'
        : sign === '+'
          ? 'dropout still helps'
          : 'hurts',
    );
  }, 300_000);
});

describe('pairedRatio', () => {
  it('is the exponential of the paired t interval of the log ratios', () => {
    // ln(a/b) = ln 2 and ln 4: mean 1.5 ln 2, sd ln 2 / √2, half-width t(0.975, 1) · sd / √2.
    const r = pairedRatio(
      new Map([
        [1, 2],
        [2, 8],
      ]),
      new Map([
        [1, 1],
        [2, 2],
      ]),
    );
    const hw = (studentTQuantile(0.975, 1) * Math.LN2) / 2;
    expect(r.ratio).toBeCloseTo(2 ** 1.5, 12);
    expect(r.low).toBeCloseTo(Math.exp(1.5 * Math.LN2 - hw), 12);
    expect(r.high).toBeCloseTo(Math.exp(1.5 * Math.LN2 + hw), 12);
    expect(r.supported).toBe(false); // 12.7 · 0.49 > 1.04: the interval includes ×1
    expect(changeText(r, 'it')).toMatch(
      /^changes it by ×2\.83 .*which the 2 seeds cannot separate from no change$/,
    );
    const up = pairedRatio(
      new Map([
        [1, 2],
        [2, 2.1],
        [3, 1.9],
      ]),
      new Map([
        [1, 1],
        [2, 1],
        [3, 1],
      ]),
    );
    expect(up.supported).toBe(true);
    expect(changeText(up, 'it')).toMatch(/^raises it ×2\.00 \(95% CI ×1\.\d\d–×2\.\d\d\)$/);
  });
});
