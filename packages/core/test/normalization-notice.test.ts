/**
 * A normalized recurrent layer runs inside the native and the wasm kernels (layer norm and
 * recurrent batch norm are fused in both, LSTM and GRU, issue 13) and says nothing, with per-step
 * recurrent dropout masks ('step', Gal and Semeniuta) in training too. (Kernels
 * without normalization would run it on the tfjs reference op and say so once per process; no
 * built-in kernels are such now — the refusal itself is tested in kernels' fused-norm.test.ts.)
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as rl from '../src/index.js';

const initial = rl.kernels.backend();
afterEach(() => {
  vi.restoreAllMocks();
  rl.kernels.setKernelBackend(initial);
});

function normalizationNotices(): string[] {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  const lstm = rl.layers.lstm({ units: 5, normalization: 'layer' });
  const gru = rl.layers.gru({ units: 5, normalization: 'batch' });
  const perStep = [
    rl.layers.lstm({ units: 5, normalization: 'batch', recurrentDropout: 0.3, recurrentDropoutMask: 'step' }),
    rl.layers.gru({
      units: 5,
      normalization: 'layer',
      recurrentDropout: 0.3,
      recurrentDropoutMode: 'semeniuta',
    }),
  ];
  tf.tidy(() => {
    for (let i = 0; i < 3; i++) {
      lstm.apply(tf.ones([2, 3, 4]));
      gru.apply(tf.ones([2, 3, 4]), { training: true });
      for (const layer of perStep) layer.apply(tf.ones([2, 3, 4]), { training: true });
    }
  });
  return warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes('normalization'));
}

describe('normalization and the kernels', () => {
  it.skipIf(initial !== 'native')('runs inside the native kernels without a notice', () => {
    expect(normalizationNotices()).toEqual([]);
  });

  it('on the wasm kernels: the LSTM and the GRU run inside them without a notice', () => {
    if (rl.kernels.setKernelBackend('wasm') !== 'wasm') return; // no wasm here: nothing to check
    expect(normalizationNotices()).toEqual([]);
  });

  it('on the reference kernels: no notice (everything runs there anyway)', () => {
    rl.kernels.setKernelBackend('reference');
    expect(normalizationNotices()).toEqual([]);
  });
});
