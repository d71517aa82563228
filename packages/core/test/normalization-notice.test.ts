/**
 * A normalized recurrent layer runs inside the native kernels (layer norm and recurrent batch norm
 * are fused there, issue 13) and says nothing; so does a normalized LSTM on the wasm kernels. A
 * normalized GRU on the wasm kernels, which have no normalization in their GRU yet, runs on the
 * tfjs reference op and says so once per process, on stderr.
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
  tf.tidy(() => {
    for (let i = 0; i < 3; i++) {
      lstm.apply(tf.ones([2, 3, 4]));
      gru.apply(tf.ones([2, 3, 4]), { training: true });
    }
  });
  return warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes('normalization'));
}

describe('normalization and the kernels', () => {
  it.skipIf(initial !== 'native')('runs inside the native kernels without a notice', () => {
    expect(normalizationNotices()).toEqual([]);
  });

  it('on the wasm kernels: the LSTM runs inside them; the GRU gives one notice per process naming the layer, the normalization and the kernels', () => {
    if (rl.kernels.setKernelBackend('wasm') !== 'wasm') return; // no wasm here: nothing falls back
    const notices = normalizationNotices();
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/rl\.layers\.gru: normalization 'batch' runs on the tfjs reference kernels/);
    expect(notices[0]).toContain('wasm');
  });

  it('on the reference kernels: no notice (everything runs there anyway)', () => {
    rl.kernels.setKernelBackend('reference');
    expect(normalizationNotices()).toEqual([]);
  });
});
