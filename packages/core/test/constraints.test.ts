import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as rl from 'regulab';
import { allClose, expectNoLeak } from '../../../test/helpers.js';

/** Column norms of a [in, out] kernel: one per output unit (axis 0). */
function columnNorms(kernel: tf.Tensor): number[] {
  return Array.from(tf.tidy(() => tf.sqrt(tf.sum(tf.square(kernel), 0))).dataSync());
}

describe('rl.constraints: the projections (hand-computed)', () => {
  it('maxNorm scales columns longer than m to norm m and leaves the others (axis 0)', () => {
    // columns: [3, 4] (norm 5) and [0.1, 0.2] (norm √0.05 ≈ 0.2236); m = 1, ε = 1e-7
    const w = tf.tensor2d([
      [3, 0.1],
      [4, 0.2],
    ]);
    const out = rl.constraints.maxNorm({ maxValue: 1 }).apply(w);
    const n1 = Math.sqrt(0.05);
    allClose(out, [3 / (5 + 1e-7), (0.1 * n1) / (n1 + 1e-7), 4 / (5 + 1e-7), (0.2 * n1) / (n1 + 1e-7)], {
      atol: 1e-6,
      rtol: 0,
    });
    // axis 1: rows [3, 0.1] (norm ≈ 3.0017) and [4, 0.2] (norm ≈ 4.005) both scaled to norm 1
    const rows = rl.constraints.maxNorm({ maxValue: 1, axis: 1 }).apply(w);
    allClose(tf.sqrt(tf.sum(tf.square(rows), 1)), [1, 1], { atol: 1e-6, rtol: 0 });
    tf.dispose([w, out, rows]);
  });

  it('unitNorm, minMaxNorm and nonNeg', () => {
    const w = tf.tensor2d([
      [3, 0.1],
      [-4, 0.2],
    ]);
    const unit = rl.constraints.unitNorm().apply(w);
    allClose(columnNorms(unit), [1, 1], { atol: 1e-5, rtol: 0 });
    // minMaxNorm [0.5, 2], rate 1: norm 5 → 2, norm 0.2236 → 0.5
    const mm = rl.constraints.minMaxNorm({ minValue: 0.5, maxValue: 2 }).apply(w);
    allClose(columnNorms(mm), [2, 0.5], { atol: 1e-5, rtol: 0 });
    // rate 0.5: norm 5 → 0.5·2 + 0.5·5 = 3.5
    const half = rl.constraints.minMaxNorm({ minValue: 0.5, maxValue: 2, rate: 0.5 }).apply(w);
    allClose(columnNorms(half)[0], 3.5, { atol: 1e-5, rtol: 0 });
    const pos = rl.constraints.nonNeg().apply(w);
    allClose(pos, [3, 0.1, 0, 0.2]);
    tf.dispose([w, unit, mm, half, pos]);
  });

  it('serializes as tfjs’s own classes', () => {
    const layer = tf.layers.dense({ units: 2, kernelConstraint: rl.constraints.maxNorm({ maxValue: 3 }) });
    const config = layer.getConfig().kernelConstraint as {
      className: string;
      config: Record<string, unknown>;
    };
    expect(config).toEqual({ className: 'MaxNorm', config: { maxValue: 3, axis: 0 } });
  });

  it('clear errors for bad options', () => {
    expect(() => rl.constraints.maxNorm({ maxValue: 0 })).toThrow(/maxNorm: option 'maxValue'.*got 0/);
    expect(() => rl.constraints.maxNorm({} as never)).toThrow(rl.RegulabConfigError);
    expect(() => rl.constraints.unitNorm({ axis: 0.5 })).toThrow(/unitNorm: option 'axis'/);
    expect(() => rl.constraints.minMaxNorm({ minValue: 3, maxValue: 2 })).toThrow(/must not exceed/);
    expect(() => rl.constraints.minMaxNorm({ minValue: 0, maxValue: 2, rate: 0 })).toThrow(/'rate'/);
  });
});

describe('constraints hold after fit only with rl.callbacks.applyConstraints()', () => {
  const maxValue = 0.5;
  // Targets far from 0 pull the kernel to large norms within a few steps.
  const x = tf.tensor2d([
    [1, 0, 1, 0],
    [0, 1, 0, 1],
    [1, 1, 0, 0],
    [0, 0, 1, 1],
  ]);
  const y = tf.tensor2d([
    [10, -10, 10],
    [-10, 10, 10],
    [10, 10, -10],
    [-10, -10, 10],
  ]);
  function build(optimizer: tf.Optimizer): tf.Sequential {
    const m = tf.sequential({
      layers: [
        tf.layers.dense({
          units: 3,
          inputShape: [4],
          kernelInitializer: tf.initializers.constant({ value: 0.01 }),
          kernelConstraint: rl.constraints.maxNorm({ maxValue }),
        }),
      ],
    });
    m.compile({ optimizer, loss: 'meanSquaredError' });
    return m;
  }

  it('tfjs defect: without the callback the maxNorm constraint is violated after fit', async () => {
    const model = build(tf.train.sgd(0.1));
    await model.fit(x, y, { epochs: 5, batchSize: 2, verbose: 0 });
    expect(Math.max(...columnNorms(model.getWeights()[0]))).toBeGreaterThan(maxValue * 2);
    model.dispose();
  });

  for (const [label, make] of [
    ['sgd', () => tf.train.sgd(0.1)],
    ['adam', () => tf.train.adam(0.5)],
    ['rl.adamw', () => rl.optimizers.adamw({ learningRate: 0.5, weightDecay: 0.01 })],
  ] as const) {
    it(`${label}: with the callback the norm bound holds after every batch`, async () => {
      const model = build(make());
      const cb = rl.callbacks.applyConstraints();
      const worstPerBatch: number[] = [];
      const checker = new tf.CustomCallback({
        onBatchEnd: async () => {
          worstPerBatch.push(Math.max(...columnNorms(model.getWeights()[0])));
        },
      });
      await model.fit(x, y, { epochs: 5, batchSize: 2, verbose: 0, callbacks: [cb, checker] });
      expect(worstPerBatch).toHaveLength(10);
      // ≤ m: the projection gives m·‖w‖/(ε + ‖w‖) < m; 1e-6 allows float32 rounding of the norm.
      for (const worst of worstPerBatch) expect(worst).toBeLessThanOrEqual(maxValue + 1e-6);
      // and the bound is active (training pushed the columns to it), so the test is not vacuous
      expect(Math.max(...worstPerBatch)).toBeGreaterThan(maxValue - 1e-3);
      expect(cb.projections).toBe(10);
      model.optimizer.dispose();
      model.dispose();
    });
  }

  it('pure applyConstraints(model) in a custom loop: recurrent and bias constraints, no leak', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.simpleRNN({
          units: 3,
          inputShape: [2, 2],
          recurrentConstraint: rl.constraints.nonNeg(),
          biasConstraint: rl.constraints.nonNeg(),
          biasInitializer: tf.initializers.constant({ value: -1 }),
        }),
      ],
    });
    const [, recurrent] = model.getWeights();
    expect(recurrent.min().dataSync()[0]).toBeLessThan(0); // orthogonal init has negative entries
    await expectNoLeak(() => expect(rl.constraints.applyConstraints(model)).toBe(2), 'applyConstraints');
    const [, recurrentAfter, biasAfter] = model.getWeights();
    expect(recurrentAfter.min().dataSync()[0]).toBeGreaterThanOrEqual(0);
    allClose(biasAfter, [0, 0, 0]);
    model.dispose();
  });
});
