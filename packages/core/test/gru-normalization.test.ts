/**
 * rl.layers.gru({ normalization: 'layer' | 'batch' }): the outputs against the equations of
 * docs/recurrent.md written out independently here (tf.moments, full-width matmuls and column
 * slices instead of the layer's per-gate blocks and matmul reductions), for reset-before and
 * reset-after; batch norm's training statistics vs inference's per-step population statistics;
 * invariance to scaling the kernels; serialization; leaks; errors. The finite-difference gradient
 * checks are in recurrent-gradients.test.ts (GRU cases).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as rl from 'regulab';
import { allClose, expectNoLeak } from '../../../test/helpers.js';
import { run } from './recurrent-helpers.js';

const B = 4;
const T = 3;
const D = 3;
const H = 3;
const EPS = 1e-3; // the layer's ε
const xs = (seed = 1, steps = T) => tf.randomUniform([B, steps, D], -1, 1, 'float32', seed) as tf.Tensor3D;

function weightsOf(layer: tf.layers.Layer): Record<string, tf.LayerVariable> {
  return Object.fromEntries(layer.weights.map((w) => [w.name.split('/').pop()!, w]));
}

/**
 * A normalisation of the oracle: v [B, n·H] holds gate blocks first..first+n−1 of a projection at
 * step k; gamma [n·H] their gains.
 */
type Norm = (v: tf.Tensor2D, gamma: tf.Tensor, k: number, first: number) => tf.Tensor;

/** Layer norm over each row of v (scope 'fused'), or over each H-wide block of it ('gate'). */
const layerNorm =
  (scope: 'fused' | 'gate'): Norm =>
  (v, gamma) => {
    const ln = (u: tf.Tensor2D) => {
      const { mean, variance } = tf.moments(u, 1, true);
      return tf.div(tf.sub(u, mean), tf.sqrt(tf.add(variance, EPS)));
    };
    const blocks = (scope === 'fused' ? [v] : tf.split(v, v.shape[1] / H, 1)) as tf.Tensor2D[];
    return tf.mul(tf.concat(blocks.map(ln), 1), gamma);
  };

/** Batch norm per feature with the batch's statistics (training). */
const batchNormTraining: Norm = (v, gamma) => {
  const { mean, variance } = tf.moments(v, 0);
  return tf.mul(tf.div(tf.sub(v, mean), tf.sqrt(tf.add(variance, EPS))), gamma);
};

/** Batch norm per feature with the stored statistics of step min(k, maxSteps − 1) (inference). */
const batchNormInference =
  (mean: tf.Tensor2D, variance: tf.Tensor2D): Norm =>
  (v, gamma, k, first) => {
    const row = Math.min(k, mean.shape[0] - 1);
    const pick = (m: tf.Tensor2D) => tf.slice(m, [row, first * H], [1, v.shape[1]]);
    return tf.mul(tf.div(tf.sub(v, pick(mean)), tf.sqrt(tf.add(pick(variance), EPS))), gamma);
  };

/**
 * The normalised GRU of docs/recurrent.md from h_0 = 0, with the layer's weights. normX acts on
 * W·x_t, normH on U·h_{t−1} (reset-before: on U_{z,r}·h_{t−1} and on U_h·(r ⊙ h_{t−1}) apart).
 * Shapes: x [B, T, D] → [B, T, H].
 */
function oracle(layer: rl.layers.Gru, x: tf.Tensor3D, normX: Norm, normH: Norm): tf.Tensor {
  return tf.tidy(() => {
    const w = weightsOf(layer);
    const kernel = w.kernel!.read() as tf.Tensor2D; // [D, 3H]
    const rec = w.recurrent_kernel!.read() as tf.Tensor2D; // [H, 3H]
    const gx = w.gamma_x!.read(); // [3H]
    const gh = w.gamma_h!.read(); // [3H]
    const bias = w.bias!.read();
    const [bIn, bRec] = layer.resetAfter ? tf.unstack(bias) : [bias, tf.zeros([3 * H])]; // [3H] each
    const cols = (m: tf.Tensor2D, first: number, n: number) => tf.slice(m, [0, first * H], [-1, n * H]);
    const part = (v: tf.Tensor, first: number, n: number) => tf.slice(v, [first * H], [n * H]);
    let h = tf.zeros([B, H]) as tf.Tensor2D;
    const outputs: tf.Tensor2D[] = [];
    for (let k = 0; k < x.shape[1]; k++) {
      const xt = tf.squeeze(tf.slice(x, [0, k, 0], [-1, 1, -1]), [1]) as tf.Tensor2D; // [B, D]
      const a = tf.add(normX(tf.matMul(xt, kernel), gx, k, 0), bIn!) as tf.Tensor2D; // [B, 3H]
      let z: tf.Tensor;
      let hh: tf.Tensor;
      if (layer.resetAfter) {
        const u = tf.add(normH(tf.matMul(h, rec), gh, k, 0), bRec!) as tf.Tensor2D; // [B, 3H]
        z = tf.sigmoid(tf.add(cols(a, 0, 1), cols(u, 0, 1)));
        const r = tf.sigmoid(tf.add(cols(a, 1, 1), cols(u, 1, 1)));
        hh = tf.tanh(tf.add(cols(a, 2, 1), tf.mul(r, cols(u, 2, 1))));
      } else {
        const u = normH(tf.matMul(h, cols(rec, 0, 2)), part(gh, 0, 2), k, 0) as tf.Tensor2D; // [B, 2H]
        z = tf.sigmoid(tf.add(cols(a, 0, 1), cols(u, 0, 1)));
        const r = tf.sigmoid(tf.add(cols(a, 1, 1), cols(u, 1, 1)));
        const uh = normH(tf.matMul(tf.mul(r, h) as tf.Tensor2D, cols(rec, 2, 1)), part(gh, 2, 1), k, 2);
        hh = tf.tanh(tf.add(cols(a, 2, 1), uh));
      }
      h = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), hh)) as tf.Tensor2D;
      outputs.push(h);
    }
    return tf.stack(outputs, 1); // [B, T, H]
  });
}

/** A built GRU with random biases and gains, so the oracle sees where each one enters. */
function randomizedGru(args: Partial<rl.layers.GruArgs>): rl.layers.Gru {
  const layer = rl.layers.gru({ units: H, returnSequences: true, seed: 4, ...args });
  run(layer, xs()).dispose(); // build
  const w = weightsOf(layer);
  let seed = 10;
  for (const name of ['bias', 'gamma_x', 'gamma_h']) {
    const v = w[name]!;
    v.write(tf.randomUniform(v.shape as number[], 0.5, 1.5, 'float32', seed++));
  }
  return layer;
}

const variants = [false, true].map(
  (resetAfter) => [resetAfter ? 'reset-after' : 'reset-before', resetAfter] as const,
);

describe('outputs follow the equations', () => {
  for (const [variant, resetAfter] of variants) {
    for (const scope of ['fused', 'gate'] as const) {
      it(`layer norm ('${scope}'), ${variant}`, () => {
        const layer = randomizedGru({ resetAfter, normalization: 'layer', layerNormScope: scope });
        const x = xs(2);
        const expected = oracle(layer, x, layerNorm(scope), layerNorm(scope));
        allClose(run(layer, x, true), expected, { atol: 2e-5, rtol: 1e-4 }, 'training');
        allClose(run(layer, x, false), expected, { atol: 2e-5, rtol: 1e-4 }, 'inference'); // the same
      });
    }

    it(`batch norm, training (batch statistics per step), ${variant}`, () => {
      const layer = randomizedGru({ resetAfter, normalization: 'batch' });
      const x = xs(2);
      const expected = oracle(layer, x, batchNormTraining, batchNormTraining);
      allClose(run(layer, x, true), expected, { atol: 2e-5, rtol: 1e-4 }, 'training');
    });

    it(`batch norm, inference (moving statistics; steps past normMaxSteps reuse the last), ${variant}`, () => {
      const layer = randomizedGru({ resetAfter, normalization: 'batch', normMaxSteps: 2, normMomentum: 0.5 });
      run(layer, xs(3), true).dispose(); // moves the statistics of steps 0 and 1 away from (0, 1)
      const w = weightsOf(layer);
      const stats = (s: 'x' | 'h') =>
        batchNormInference(
          w[`moving_mean_${s}`]!.read() as tf.Tensor2D,
          w[`moving_variance_${s}`]!.read() as tf.Tensor2D,
        );
      const x = xs(2, 4); // 4 steps: steps 2 and 3 use row 1
      allClose(run(layer, x, false), oracle(layer, x, stats('x'), stats('h')), { atol: 2e-5, rtol: 1e-4 });
    });
  }
});

describe('batch norm: training vs inference', () => {
  for (const [variant, resetAfter] of variants) {
    it(`one training call moves m_k ← μ·m_k + (1 − μ)·stat_k at every step; γ starts at 0.1, ${variant}`, () => {
      const layer = rl.layers.gru({
        units: H,
        resetAfter,
        normalization: 'batch',
        normMomentum: 0.9,
        seed: 1,
      });
      const x = xs();
      run(layer, x).dispose(); // build (inference: no update)
      const w = weightsOf(layer);
      expect(w.moving_mean_x!.shape).toEqual([T, 3 * H]);
      expect(w.moving_variance_h!.shape).toEqual([T, 3 * H]);
      expect(Array.from(w.gamma_x!.read().dataSync())).toEqual(new Array(3 * H).fill(Math.fround(0.1)));
      expect(Array.from(w.gamma_h!.read().dataSync())).toEqual(new Array(3 * H).fill(Math.fround(0.1)));
      run(layer, x, true).dispose();
      // Step k's input projection is x_k·W: its batch mean and (biased) variance per feature.
      const kernel = w.kernel!.read() as tf.Tensor2D;
      const projections = tf.unstack(x, 1).map((xk) => tf.moments(tf.matMul(xk as tf.Tensor2D, kernel), 0));
      const expectedMean = tf.stack(projections.map((m) => tf.mul(m.mean, 0.1)));
      const expectedVar = tf.stack(projections.map((m) => tf.add(0.9, tf.mul(m.variance, 0.1))));
      allClose(w.moving_mean_x!.read(), expectedMean, { atol: 1e-6 }, 'moving_mean_x');
      allClose(w.moving_variance_x!.read(), expectedVar, { atol: 1e-6 }, 'moving_variance_x');
      // Step 0's recurrent projection is U·h_0 = 0: mean stays 0, variance 0.9·1 + 0.1·0.
      const h0 = tf.slice(w.moving_variance_h!.read(), [0, 0], [1, -1]);
      allClose(h0, tf.fill([1, 3 * H], 0.9), { atol: 1e-6 }, 'moving_variance_h at step 0');
      // Later steps see h ≠ 0, so the recurrent statistics move.
      const h1 = tf.slice(w.moving_mean_h!.read(), [1, 0], [1, -1]).dataSync();
      expect(Array.from(h1).some((v) => Math.abs(v) > 1e-6)).toBe(true);
    });

    it(`inference uses the population statistics, not the batch's, ${variant}`, () => {
      // Momentum 0: one training call stores exactly that batch's statistics, so inference on the
      // same batch reproduces the training output; each example alone then gets its row of it,
      // whereas a training call on one example normalises with that example's own statistics.
      const layer = rl.layers.gru({
        units: H,
        resetAfter,
        normalization: 'batch',
        normMomentum: 0,
        returnSequences: true,
        seed: 2,
      });
      const x = xs(5);
      run(layer, x).dispose(); // build
      const trained = run(layer, x, true);
      const inferred = run(layer, x, false);
      allClose(inferred, trained, { atol: 1e-5 }, 'inference after a momentum-0 update');
      const first = tf.slice(x, [0, 0, 0], [1, -1, -1]);
      allClose(
        run(layer, first, false),
        tf.slice(inferred, [0, 0, 0], [1, -1, -1]),
        { atol: 1e-5 },
        'batch of 1',
      );
      // A batch of one has zero variance: training maps every projection to 0 (β = 0), which
      // the population statistics do not.
      const alone = run(layer, first, true);
      expect(
        tf.max(tf.abs(tf.sub(alone, tf.slice(inferred, [0, 0, 0], [1, -1, -1])))).dataSync()[0],
      ).toBeGreaterThan(1e-3);
    });
  }
});

describe('invariance to scaling the kernels', () => {
  // One step from a non-zero state, so both projections have variances far above ε. Kernels ×10
  // first, so every projection's variance is ≥ 100× what it was and ε = 1e-3 moves the normalised
  // values by well under the tolerance, whatever the initial draw. Layer norm is invariant per
  // example, batch norm (training) per feature.
  for (const [variant, resetAfter] of variants) {
    for (const normalization of ['layer', 'batch'] as const) {
      it(`${normalization} norm, ${variant}`, () => {
        const layer = rl.layers.gru({ units: H, resetAfter, normalization, normMaxSteps: 1, seed: 2 });
        const x = tf.slice(xs(), [0, 0, 0], [-1, 1, -1]);
        const initialState = [tf.randomUniform([B, H], -1, 1, 'float32', 3)];
        const call = () => layer.apply(x, { initialState, training: true }) as tf.Tensor;
        call(); // builds the weights
        const [k, r, ...rest] = layer.getWeights();
        layer.setWeights([tf.mul(k!, 10), tf.mul(r!, 10), ...rest]);
        const y = call();
        layer.setWeights([tf.mul(k!, 40), tf.mul(r!, 40), ...rest]);
        allClose(call(), y, { atol: 2e-3 }, 'scaled kernels');
      });
    }
  }
});

describe('serialization', () => {
  for (const [variant, resetAfter] of variants) {
    for (const normalization of ['layer', 'batch'] as const) {
      it(`${normalization} norm, ${variant}: toJSON → modelFromJSON + weights, and tf.io save/load`, async () => {
        const model = tf.sequential({
          layers: [
            tf.layers.inputLayer({ inputShape: [T, D] }),
            rl.layers.gru({
              units: H,
              resetAfter,
              normalization,
              layerNormScope: 'gate',
              normMomentum: 0.5,
              returnSequences: true,
              seed: 3,
            }),
          ],
        });
        const x = xs();
        model.apply(x, { training: true }); // moves the batch-norm statistics away from (0, 1)
        const json = model.toJSON(undefined, false) as tf.io.ModelJSON['modelTopology'];
        const restored = await tf.models.modelFromJSON({ modelTopology: json });
        restored.setWeights(model.getWeights());
        allClose(
          restored.predict(x) as tf.Tensor,
          model.predict(x) as tf.Tensor,
          { atol: 1e-6 },
          'prediction',
        );
        const a = model.layers.at(-1)!.getConfig();
        expect(a).toMatchObject({
          normalization,
          layerNormScope: 'gate',
          normMomentum: 0.5,
          normMaxSteps: null,
        });
        expect({ ...restored.layers.at(-1)!.getConfig(), name: a.name }).toEqual(a);

        let saved: tf.io.ModelArtifacts | undefined;
        await model.save(
          tf.io.withSaveHandler(
            async (artifacts) => (
              (saved = artifacts),
              { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
            ),
          ),
        );
        const names = saved!.weightSpecs!.map((s) => s.name.split('/').pop());
        const stats = ['moving_mean_x', 'moving_variance_x', 'moving_mean_h', 'moving_variance_h'];
        expect(names).toEqual([
          'kernel',
          'recurrent_kernel',
          'bias',
          'gamma_x',
          'gamma_h',
          ...(normalization === 'batch' ? stats : []),
        ]);
        const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
        allClose(loaded.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor, { atol: 1e-6 }, 'loaded');
      });
    }
  }
});

describe('leaks', () => {
  it('training and inference calls and fit leave no tensors behind', async () => {
    const x = xs();
    for (const [, resetAfter] of variants) {
      for (const normalization of ['layer', 'batch'] as const) {
        const layer = rl.layers.gru({
          units: H,
          resetAfter,
          normalization,
          zoneout: 0.2,
          dropout: 0.2,
          seed: 1,
        });
        run(layer, x).dispose(); // build
        await expectNoLeak(() => tf.tidy(() => run(layer, x, true)).dispose(), `${normalization} training`);
        await expectNoLeak(() => tf.tidy(() => run(layer, x)).dispose(), `${normalization} inference`);
      }
    }
    const model = tf.sequential({
      layers: [
        tf.layers.inputLayer({ inputShape: [T, D] }),
        rl.layers.gru({ units: H, resetAfter: true, normalization: 'batch', seed: 2 }),
      ],
    });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const y = tf.zeros([B, H]);
    const before = weightsOf(model.layers.at(-1)!).moving_mean_x!.read().dataSync().slice();
    await model.fit(x, y, { epochs: 1, verbose: 0 });
    await expectNoLeak(() => model.fit(x, y, { epochs: 2, verbose: 0 }), 'fit');
    const after = weightsOf(model.layers.at(-1)!).moving_mean_x!.read().dataSync();
    expect(Array.from(after)).not.toEqual(Array.from(before)); // fit's training calls move the statistics
  });
});

describe('errors', () => {
  const bad: [string, () => unknown, RegExp][] = [
    [
      'unknown normalization',
      () => rl.layers.gru({ units: 2, normalization: 'group' as 'layer' }),
      /rl\.layers\.gru: option 'normalization' must be one of 'none', 'layer', 'batch', got "group"/,
    ],
    [
      'unknown layerNormScope',
      () => rl.layers.gru({ units: 2, normalization: 'layer', layerNormScope: 'row' as 'gate' }),
      /rl\.layers\.gru: option 'layerNormScope' must be one of 'fused', 'gate', got "row"/,
    ],
    [
      'normMaxSteps 0',
      () => rl.layers.gru({ units: 2, normalization: 'batch', normMaxSteps: 0 }),
      /rl\.layers\.gru: option 'normMaxSteps' must be a positive integer, got 0/,
    ],
    [
      'normMomentum 1',
      () => rl.layers.gru({ units: 2, normalization: 'batch', normMomentum: 1 }),
      /rl\.layers\.gru: option 'normMomentum' must be in \[0, 1\), got 1/,
    ],
    [
      'normMomentum < 0',
      () => rl.layers.gru({ units: 2, normalization: 'batch', normMomentum: -0.5 }),
      /normMomentum/,
    ],
  ];
  for (const [what, make, msg] of bad) it(what, () => expect(make).toThrow(msg));

  it('batch norm on an input of unknown length without normMaxSteps', () => {
    const layer = rl.layers.gru({ units: 2, normalization: 'batch', name: 'g' });
    expect(() => layer.apply(tf.input({ shape: [null, 3] }))).toThrow(
      /rl\.layers\.gru 'g': normalization 'batch' keeps statistics per step: set 'normMaxSteps'/,
    );
    const ok = rl.layers.gru({ units: 2, normalization: 'batch', normMaxSteps: 5 });
    expect((ok.apply(tf.input({ shape: [null, 3] })) as tf.SymbolicTensor).shape).toEqual([null, 2]);
  });
});
