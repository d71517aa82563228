/**
 * The lower bounds issue 12's feed-forward steps are compared with (packages/lab/src/bench):
 * `feedforwardWeights` counts what the optimizer step touches, checked against the models the
 * bench trains; `adamPassRate` times the fused Adam pass the bench divides by (a rate here, no
 * timing assertion: speed is `npm run bench`'s), and its arithmetic is the fused step's (one step
 * from m = v = 0 moves every weight by lr · sign(g)). No leaks.
 */
import * as tf from '@tensorflow/tfjs';
import * as rl from 'regulab';
import { describe, expect, it } from 'vitest';
import {
  FEEDFORWARD_CASES,
  feedforwardFlops,
  feedforwardLayers,
  feedforwardWeights,
} from '../src/bench/feedforward.js';
import { ADAM_BYTES_PER_WEIGHT, adamPassRate } from '../src/bench/optimizer-rate.js';

describe('feed-forward step bounds', () => {
  for (const c of Object.values(FEEDFORWARD_CASES)) {
    it(`${c.name}: the weight count is the trained model's parameter count`, () => {
      const model = tf.sequential({ layers: feedforwardLayers(c, (rate) => tf.layers.dropout({ rate })) });
      expect(feedforwardWeights(c)).toBe(model.countParams());
      expect(model.trainableWeights.length).toBe(2 * (c.name === 'mlp-step' ? 3 : 4)); // kernel + bias per layer
      model.dispose();
    });
  }

  it('counts the matmul FLOPs as 3 × forward less the first layer input gradient (mlp: by hand)', () => {
    const mlp = FEEDFORWARD_CASES['mlp-step'];
    const fwd = [2 * 128 * 784 * 1024, 2 * 128 * 1024 * 1024, 2 * 128 * 1024 * 10];
    expect(feedforwardFlops(mlp)).toBe(3 * (fwd[0] + fwd[1] + fwd[2]) - fwd[0]);
  });

  it('Adam moves 28 bytes per weight and the pass rate comes back positive on the fast kernels', () => {
    expect(ADAM_BYTES_PER_WEIGHT).toBe(7 * 4); // w, g, m, v read; w, m, v written; float32
    const impl = rl.kernels.fusedImpl();
    const before = tf.memory().numTensors;
    const r = adamPassRate(4096);
    expect(tf.memory().numTensors).toBe(before);
    if (!impl?.optimizerUpdate) {
      expect(r).toEqual({ error: 'no fast kernels with an optimizer update' });
      return;
    }
    if ('error' in r) throw new Error(r.error);
    expect(Number.isFinite(r.adam_gbps) && r.adam_gbps > 0).toBe(true);
    // the pass it times is the fused Adam step: from m = v = 0 (bias-corrected), w moves by lr · sign(g)
    const w = Float32Array.from([1, 1, 1]);
    const g = Float32Array.from([0.5, -2, 0]);
    const lr = 1e-3;
    const params = Float64Array.from([0, lr, 0.9, 0.1, 0.999, 0.001, 1e-7, 0.1, 0.001]);
    impl.optimizerUpdate(
      rl.kernels.OPTIMIZER_KIND.adam,
      w,
      g,
      new Float32Array(3),
      new Float32Array(3),
      params,
    );
    expect(w[0]).toBeCloseTo(1 - lr, 6);
    expect(w[1]).toBeCloseTo(1 + lr, 6);
    expect(w[2]).toBe(1);
  });
});
