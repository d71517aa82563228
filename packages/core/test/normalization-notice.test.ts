/**
 * A normalized recurrent layer runs on the tfjs reference op even when fast kernels are loaded
 * (the fused kernels have no normalization); it says so once per process, on stderr.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as rl from '../src/index.js';

afterEach(() => vi.restoreAllMocks());

describe('normalization on the reference path', () => {
  it('gives one notice per process naming the layer, the normalization and the loaded kernels', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const kernels = rl.kernels.backend();
    const lstm = rl.layers.lstm({ units: 5, normalization: 'layer' });
    const gru = rl.layers.gru({ units: 5, normalization: 'batch' });
    tf.tidy(() => {
      for (let i = 0; i < 3; i++) {
        lstm.apply(tf.ones([2, 3, 4]));
        gru.apply(tf.ones([2, 3, 4]), { training: true });
      }
    });
    const notices = warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes('normalization'));
    if (kernels === 'reference') {
      expect(notices).toEqual([]); // nothing falls back: everything runs on the reference anyway
      return;
    }
    expect(notices).toHaveLength(2);
    expect(notices[0]).toMatch(/rl\.layers\.lstm: normalization 'layer' runs on the tfjs reference kernels/);
    expect(notices[1]).toMatch(/rl\.layers\.gru: normalization 'batch' runs on the tfjs reference kernels/);
    expect(notices[0]).toContain(kernels);
  });
});
