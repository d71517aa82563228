/**
 * The plumbing of issue 13's normalised bench cases (packages/lab/src/bench/normalized.ts and its
 * use in cases.ts, models.ts, run-bench.ts): the cases are their base cases plus a normalization;
 * a run puts each normalised case after its unnormalised base; which impls run them; how one
 * probe step's CPU time decides the timed run; the ratios and targets on made-up lines (no timing
 * here: speed is `npm run bench`'s); the LSTM the bench builds is normalised; and the PyTorch peer
 * refuses a fused normalised LSTM with a one-line error.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { type BenchCase, type BenchLine, CASES } from '../src/bench/cases.js';
import { benchLstm } from '../src/bench/models.js';
import {
  addNormalizedRatios,
  normalizedNote,
  runAfterProbe,
  SLOW_REPEATS,
  SLOW_CPU_MS_PER_ROW_STEP,
  withBaseCases,
} from '../src/bench/normalized.js';
import { impls, IMPLS } from '../src/bench/run-bench.js';

const charlmLn = CASES['charlm-ln-step'] as BenchCase;
const pmnistBn = CASES['pmnist-bn-step'] as BenchCase;

describe('normalised bench cases', () => {
  it('are their base cases with layer norm (charlm) and recurrent batch norm (pmnist: 1 × 100 LSTM)', () => {
    const { name, normalized, ...rest } = charlmLn;
    expect(name).toBe('charlm-ln-step');
    expect(normalized).toEqual({ normalization: 'layer', base: 'charlm-step' });
    expect({ ...rest, name: 'charlm-step' }).toEqual(CASES['charlm-step']);
    expect(pmnistBn.normalized).toEqual({ normalization: 'batch', base: 'pmnist-step' });
    expect([pmnistBn.batch, pmnistBn.steps, pmnistBn.input, pmnistBn.units]).toEqual([100, 784, 1, 100]);
    expect({ ...pmnistBn, name: 'pmnist-step', normalized: undefined }).toEqual({
      ...CASES['pmnist-step'],
      normalized: undefined,
    });
  });

  it('run after their unnormalised base, which is added once when not asked for', () => {
    expect(withBaseCases(['pmnist-bn-step'])).toEqual(['pmnist-step', 'pmnist-bn-step']);
    expect(withBaseCases(['charlm-ln-step', 'pmnist-bn-step', 'cnn-step'])).toEqual([
      'charlm-step',
      'charlm-ln-step',
      'pmnist-step',
      'pmnist-bn-step',
      'cnn-step',
    ]);
    // Asked for anywhere: not added again.
    expect(withBaseCases(['charlm-ln-step', 'charlm-step'])).toEqual(['charlm-ln-step', 'charlm-step']);
    expect(withBaseCases(['mlp-step'])).toEqual(['mlp-step']);
  });

  it("run Regulab's impls and PyTorch's cell loop, never a fused PyTorch or tfjs-layers peer", () => {
    expect(impls('charlm-ln-step', IMPLS)).toEqual([
      'regulab-native',
      'regulab-wasm',
      'regulab-reference',
      'pytorch-zoneout',
    ]);
    // Asking for PyTorch's fused LSTM brings its cell loop instead.
    expect(impls('pmnist-bn-step', ['regulab-native', 'pytorch-fused'])).toEqual([
      'regulab-native',
      'pytorch-zoneout',
    ]);
    expect(impls('pmnist-step', ['regulab-native', 'pytorch-fused'])).toEqual([
      'regulab-native',
      'pytorch-fused',
    ]);
  });

  it('build a normalised Regulab LSTM (batch norm: statistics for every step of the input)', () => {
    const small = { ...pmnistBn, batch: 4, units: 3 };
    const layer = benchLstm(small, 'regulab');
    tf.tidy(() => {
      layer.apply(tf.ones([4, 5, 1]), { training: true });
    });
    const shapes = Object.fromEntries(layer.weights.map((w) => [w.originalName.split('/').pop(), w.shape]));
    expect(shapes['gamma_x']).toEqual([12]);
    expect(shapes['beta_c']).toEqual([3]);
    expect(shapes['moving_mean_h']).toEqual([5, 12]);
    const ln = benchLstm({ ...charlmLn, units: 3 }, 'regulab');
    tf.tidy(() => {
      ln.apply(tf.ones([2, 4, 6]), { training: true });
    });
    const names = ln.weights.map((w) => w.originalName);
    expect(names.some((n) => n.endsWith('gamma_h'))).toBe(true);
    expect(names.some((n) => n.includes('moving_'))).toBe(false);
    tf.dispose([layer, ln].flatMap((l) => l.weights.map((w) => w.read())));
    expect(() => benchLstm(charlmLn, 'tfjs')).toThrow(/tfjs-layers has no normalized LSTM/);
  });
});

describe('a probe step decides how a normalised step is timed', () => {
  const planned = { steps: 784, warmup: 1, repeats: 5 };
  it('keeps the planned whole-sequence run when the estimated step is fast (the fused kernels)', () => {
    // pmnist-bn on the wasm kernels: 49 of 784 steps in 346 ms CPU, ~5.5 s estimated, 0.07 ms per
    // example and step, under the bound (0.25 × 100 × 784 = 19.6 s).
    const run = runAfterProbe(planned, 49, 346, 100);
    expect(run).toEqual({ ...planned, slow: false, estimatedCpuMs: 5536 });
    expect(run.estimatedCpuMs).toBeLessThanOrEqual(SLOW_CPU_MS_PER_ROW_STEP * 100 * 784);
  });
  it('times a few probe-length steps without more warm-up when slow (the reference op)', () => {
    // pmnist-bn on the reference op: 49 steps in 2.7 s CPU, ~43 s estimated.
    const run = runAfterProbe(planned, 49, 2700, 100);
    expect(run).toEqual({ steps: 49, warmup: 0, repeats: SLOW_REPEATS, slow: true, estimatedCpuMs: 43200 });
    // charlm-ln on the reference op: the whole 50 steps (batch 32) in 2.85 s CPU.
    expect(runAfterProbe({ steps: 50, warmup: 20, repeats: 2 }, 50, 2851, 32)).toMatchObject({
      slow: true,
      repeats: 2,
    });
    // charlm-ln on the wasm kernels: 137 ms.
    expect(runAfterProbe({ steps: 50, warmup: 20, repeats: 20 }, 50, 137, 32)).toMatchObject({
      slow: false,
      repeats: 20,
      warmup: 20,
    });
  });
});

describe('ratios of a normalised case', () => {
  const lines = (): BenchLine[] => [
    { case: 'charlm-step', impl: 'regulab-native', ms_per_step: 20, cpu_ms_per_step: 30 },
    { case: 'charlm-step', impl: 'pytorch-zoneout', ms_per_step: 100, cpu_ms_per_step: 100 },
    { case: 'charlm-ln-step', impl: 'regulab-native', ms_per_step: 28, cpu_ms_per_step: 45 },
    { case: 'charlm-ln-step', impl: 'regulab-wasm', ms_per_step: 60 },
    { case: 'charlm-ln-step', impl: 'pytorch-zoneout', ms_per_step: 100, cpu_ms_per_step: 200 },
    { case: 'pmnist-bn-step', impl: 'regulab-native', ms_per_step: 5000 },
    { case: 'pmnist-bn-step', impl: 'pytorch-zoneout', error: 'no torch' },
  ];

  it('divide by the same impl on the base case and by PyTorch’s cell loop on the same case', () => {
    const l = lines();
    addNormalizedRatios(l);
    expect(l[2]).toMatchObject({
      unnormalized_case: 'charlm-step',
      vs_unnormalized: 1.4,
      cpu_vs_unnormalized: 1.5,
      vs_pytorch_cell_loop: 0.28,
      cpu_vs_pytorch_cell_loop: 0.225,
      meets_targets: true,
    });
    // regulab-wasm: no base line, no CPU time; the targets are regulab-native's alone.
    expect(l[3]).toMatchObject({ vs_pytorch_cell_loop: 0.6 });
    expect(l[3]).not.toHaveProperty('vs_unnormalized');
    expect(l[3]).not.toHaveProperty('meets_targets');
    // PyTorch's own line: how much the normalisation costs it, no ratio to itself.
    expect(l[4]).toMatchObject({ vs_unnormalized: 1, cpu_vs_unnormalized: 2 });
    expect(l[4]).not.toHaveProperty('vs_pytorch_cell_loop');
    // A peer that failed gives no ratio; the base lines get none.
    expect(l[5]).not.toHaveProperty('vs_pytorch_cell_loop');
    expect(l[0]).not.toHaveProperty('unnormalized_case');
  });

  it('say whether regulab-native meets both targets (≤ 0.3 × PyTorch, ≤ 1.5 × unnormalised)', () => {
    const l = lines();
    l[2]!.ms_per_step = 31; // 1.55 × the base: the second target missed
    addNormalizedRatios(l);
    expect(l[2]!.meets_targets).toBe(false);
    expect(normalizedNote(l[2]!)).toBe(
      "0.31 × PyTorch's cell loop (target ≤ 0.3), 1.55 × charlm-step (target ≤ 1.5), targets not met",
    );
    expect(normalizedNote(l[3]!)).toBe("0.6 × PyTorch's cell loop");
    expect(normalizedNote(l[0]!)).toBeUndefined();
  });
});

const PYTHON = '/usr/bin/python3';
const PEER = fileURLToPath(new URL('../../../bench/pytorch_peer.py', import.meta.url));

describe.runIf(existsSync(PYTHON))('the PyTorch peer', () => {
  it('refuses a fused normalised LSTM in one line (exit 2): PyTorch has none', () => {
    const r = spawnSync(PYTHON, [PEER, '--case', 'pmnist-bn-step', '--impl', 'fused'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n').pop()).toMatch(/pmnist-bn-step: PyTorch has no fused normalised LSTM/);
  });
});
