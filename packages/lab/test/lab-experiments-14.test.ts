/**
 * The numbers issue 14's experiment sections compute — the interaction of two regularizers and
 * the sparsity of the kernels — checked on values worked out by hand (the experiments themselves
 * run end to end in their own test files).
 */
import { describe, expect, it } from 'vitest';
import { interaction } from '../src/experiments/definitions/interaction.js';
import type { BySeed } from '../src/experiments/definitions/seed-values.js';
import { kernelSparsity } from '../src/experiments/definitions/sparsity.js';

describe('interaction of two regularizers', () => {
  const seeds = (...v: number[]): BySeed => new Map(v.map((x, i) => [i + 1, x]));
  // gain(a) = +0.02, gain(b) = +0.03 on every seed, with ±0.001 of seed noise in `both`.
  const none = seeds(0.8, 0.81, 0.79);
  const a = seeds(0.82, 0.83, 0.81);
  const b = seeds(0.83, 0.84, 0.82);
  const f = { none: 'none', a: 'a', b: 'b', both: 'both' };
  const run = (both: BySeed) =>
    interaction(
      new Map([
        ['none', none],
        ['a', a],
        ['b', b],
        ['both', both],
      ]),
      f,
    );

  it('both = none + gain(a) + gain(b): additive (interval of I includes 0)', () => {
    const r = run(seeds(0.851, 0.859, 0.84));
    expect(r.interaction.mean).toBeCloseTo(0, 10); // (0.001 − 0.001 + 0) / 3
    expect(r.gains.a.mean).toBeCloseTo(0.02, 10);
    expect(r.verdict).toBe('additive');
  });

  it('both gains 0.035 < 0.05 on every seed, above the better single one: diminishing', () => {
    const r = run(seeds(0.835, 0.845, 0.826));
    expect(r.interaction.mean).toBeCloseTo((-0.015 - 0.015 - 0.014) / 3, 10);
    expect(r.verdict).toBe('diminishing');
  });

  it('both below the better single one (b) on every seed: harmful', () => {
    const r = run(seeds(0.8, 0.811, 0.79));
    expect(r.overBest.mean).toBeCloseTo((-0.03 - 0.029 - 0.03) / 3, 10);
    expect(r.verdict).toBe('harmful');
  });

  it('both gains more than the sum: more than additive; one seed: no verdict', () => {
    expect(run(seeds(0.9, 0.911, 0.89)).verdict).toBe('more than additive');
    const one = (x: number) => new Map([[1, x]]);
    const r = interaction(
      new Map([
        ['none', one(0.8)],
        ['a', one(0.82)],
        ['b', one(0.83)],
        ['both', one(0.85)],
      ]),
      f,
    );
    expect(r.verdict).toBe('unknown (one seed)');
    expect(r.interaction.halfWidth).toBeNull();
  });
});

describe('kernelSparsity', () => {
  const t = (shape: number[], v: number[]) => ({
    dtype: 'float32' as const,
    shape,
    data: Float32Array.from(v),
  });

  it('counts entries below ratio × the largest of their own kernel, over 2-D weights only', () => {
    const weights = new Map([
      // largest 1: threshold 0.25 — 0, 0.125 and 0.1875 are below, 0.25 is not (all exact in float32).
      ['dense/0', t([2, 3], [1, 0, 0.125, 0.25, -0.5, 0.1875])],
      // largest 100: threshold 25 — −0.5 is below.
      ['softmax/0', t([2, 1], [-0.5, 100])],
      ['dense/1', t([3], [0, 0, 0])], // a bias: left out
    ]);
    expect(kernelSparsity(weights, 0.25)).toBe(4 / 8);
    expect(kernelSparsity(new Map([['dense/1', t([3], [0, 0, 0])]]), 0.01)).toBeNaN();
  });
});
