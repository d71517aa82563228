import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as rl from 'regulab';
import { allClose, checkGradient, expectNoLeak } from '../../../test/helpers.js';

describe('rl.regularizers.l1 / l2 / l1l2 (tfjs convention, no ½)', () => {
  const w = tf.tensor1d([1, -2, 3]);

  it('values and gradients: λ1·Σ|w| + λ2·Σw², gradient λ1·sign(w) + 2·λ2·w', () => {
    // Σ|w| = 6, Σw² = 14
    allClose(rl.regularizers.l1({ l1: 0.1 }).apply(w), 0.6);
    allClose(rl.regularizers.l2({ l2: 0.1 }).apply(w), 1.4);
    allClose(rl.regularizers.l1l2({ l1: 0.1, l2: 0.1 }).apply(w), 2.0);
    allClose(rl.regularizers.l1l2({ l2: 0.5 }).apply(w), 7);
    const grad = tf.grad((v: tf.Tensor) => rl.regularizers.l2({ l2: 0.1 }).apply(v))(w);
    allClose(grad, [0.2, -0.4, 0.6]); // 2λw
    const gradL1 = tf.grad((v: tf.Tensor) => rl.regularizers.l1({ l1: 0.1 }).apply(v))(w);
    allClose(gradL1, [0.1, -0.1, 0.1]);
    allClose(rl.regularizers.weightPenalty([w, w], { l1: 0.1, l2: 0.1 }), 4.0);
  });

  it('works as kernelRegularizer, serializes as tfjs L1L2; fit includes it and evaluate leaves it out', async () => {
    const kernel = [
      [0.5, -1],
      [2, 0.25],
    ];
    const model = tf.sequential({
      layers: [
        tf.layers.dense({
          units: 2,
          inputShape: [2],
          useBias: false,
          kernelInitializer: tf.initializers.zeros(),
          kernelRegularizer: rl.regularizers.l2({ l2: 0.01 }),
        }),
      ],
    });
    model.setWeights([tf.tensor2d(kernel)]);
    model.compile({ optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError' });
    const x = tf.tensor2d([[1, 1]]);
    const y = tf.tensor2d([[0, 0]]);
    const dataLoss = (model.evaluate(x, y) as tf.Scalar).dataSync()[0];
    // x·W = [2.5, −0.75] → MSE = (6.25 + 0.5625)/2 = 3.40625; penalty 0.01·(0.25 + 1 + 4 + 0.0625) = 0.053125
    allClose(dataLoss, 3.40625, { atol: 1e-5, rtol: 0 }, 'evaluate: data loss only (tfjs)');
    const h = await model.fit(x, y, { epochs: 1, verbose: 0 });
    allClose(h.history.loss[0] as number, 3.40625 + 0.053125, { atol: 1e-5, rtol: 0 }, 'fit: data + penalty');
    const config = model.layers[0].getConfig().kernelRegularizer;
    expect(config).toEqual({ className: 'L1L2', config: { l1: 0, l2: 0.01 } });
    model.dispose();
  });

  it('clear errors: the coefficient is required and ≥ 0', () => {
    expect(() => rl.regularizers.l2({} as never)).toThrow(/l2: option 'l2'.*undefined/);
    expect(() => rl.regularizers.l1({ l1: -1 })).toThrow(/l1: option 'l1'.*-1/);
    expect(() => rl.regularizers.l1l2({})).toThrow(rl.RegulabConfigError);
  });
});

// h [B=1, T=3, H=2] = [[1, 2], [3, 1], [0, 0]]
const H = [
  [
    [1, 2],
    [3, 1],
    [0, 0],
  ],
];

describe('AR / TAR penalties (Merity et al.)', () => {
  it('hand-computed values', () => {
    const h = tf.tensor3d(H);
    // AR: squares 1, 4, 9, 1, 0, 0 → mean 15/6 = 2.5; α = 2 → 5
    allClose(rl.regularizers.activationPenalty(h, 2), 5);
    // TAR: differences [2, −1], [−3, −1] → squares 4, 1, 9, 1 → mean 3.75; β = 1 → 3.75
    allClose(rl.regularizers.temporalActivationPenalty(h, 1), 3.75);
    // one step: no difference → 0 (not NaN)
    allClose(rl.regularizers.temporalActivationPenalty(tf.ones([2, 1, 3]), 1), 0);
    h.dispose();
  });

  it('gradients match finite differences (eps 1e-2, atol 2e-3, rtol 2e-2; quadratics: exact up to float32)', () => {
    const h = tf.randomNormal([2, 4, 3], 0, 1, 'float32', 7);
    checkGradient((v) => rl.regularizers.activationPenalty(v, 2), h, undefined, 1e-2, 'AR gradient');
    checkGradient((v) => rl.regularizers.temporalActivationPenalty(v, 1), h, undefined, 1e-2, 'TAR gradient');
    // and the closed forms: ∂AR/∂h = 2α·h/N
    allClose(tf.grad((v: tf.Tensor) => rl.regularizers.activationPenalty(v, 2))(h), tf.mul(h, (2 * 2) / 24), {
      atol: 1e-6,
      rtol: 1e-5,
    });
    h.dispose();
  });
});

describe('rl.regularizers.activity: the layer in fit and in custom loops', () => {
  const kernel = tf.tensor2d([
    [1, 0.5],
    [-1, 2],
  ]);
  const x = tf.tensor3d(H); // [1, 3, 2]
  const zeros = tf.zeros([1, 3, 2]);
  function build(ar: number, tar: number) {
    const reg = rl.regularizers.activity({ ar, tar });
    const model = tf.sequential({
      layers: [tf.layers.dense({ units: 2, inputShape: [3, 2], useBias: false }), reg],
    });
    model.setWeights([kernel]);
    model.compile({ optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError' });
    return { model, reg };
  }
  /** The same loss as a pure function of the kernel: MSE to 0 + AR + TAR of h = x·W. */
  const pureLoss = (w: tf.Tensor, ar: number, tar: number) =>
    tf.tidy(() => {
      const h = tf.reshape(tf.matMul(tf.reshape(x, [3, 2]), w as tf.Tensor2D), [1, 3, 2]);
      return tf.addN([
        tf.mean(tf.square(h)),
        rl.regularizers.activationPenalty(h, ar),
        rl.regularizers.temporalActivationPenalty(h, tar),
      ]) as tf.Scalar;
    });

  it('is the identity; fit adds α·AR + β·TAR to the loss, evaluate and predict add nothing', async () => {
    const { model } = build(2, 1);
    const out = model.predict(x) as tf.Tensor;
    allClose(out, tf.reshape(tf.matMul(tf.reshape(x, [3, 2]), kernel), [1, 3, 2]));
    const expected = pureLoss(kernel, 2, 1).dataSync()[0];
    const dataOnly = pureLoss(kernel, 0, 0).dataSync()[0];
    allClose((model.evaluate(x, zeros) as tf.Scalar).dataSync()[0], dataOnly, { atol: 1e-5, rtol: 1e-6 });
    expect(model.calculateLosses().map((l) => l.dataSync()[0])).toEqual([0]); // predict/evaluate: none held
    const h = await model.fit(x, zeros, { epochs: 1, verbose: 0 });
    // fit reports the loss at the weights before its update
    allClose(h.history.loss[0] as number, expected, { atol: 1e-4, rtol: 1e-6 }, 'fit loss = MSE + AR + TAR');
    expect(expected - dataOnly).toBeGreaterThan(1); // the penalty is not negligible here
    model.dispose();
  });

  it('custom loop: model.calculateLosses() inside the gradient function gives the penalty’s gradient', async () => {
    const { model } = build(2, 1);
    const variable = model.layers[0].getWeights()[0] as tf.Variable; // live kernel variable
    const step = () =>
      tf.variableGrads(() => {
        const y = model.apply(x, { training: true }) as tf.Tensor;
        return tf.add(tf.mean(tf.square(y)), tf.addN(model.calculateLosses())) as tf.Scalar;
      }, [variable]);
    const { value, grads } = step();
    allClose(value, pureLoss(kernel, 2, 1), { atol: 1e-5, rtol: 1e-6 });
    const expectedGrad = tf.grad((w: tf.Tensor) => pureLoss(w, 2, 1))(kernel);
    allClose(grads[variable.name], expectedGrad, { atol: 1e-5, rtol: 1e-5 });
    checkGradient((w) => pureLoss(w, 2, 1), kernel, undefined, 1e-2, 'loss(W) finite differences');
    tf.dispose([value, expectedGrad, ...Object.values(grads)]);
    await expectNoLeak(() => {
      const again = step();
      tf.dispose([again.value, ...Object.values(again.grads)]);
    }, 'custom-loop step');
    model.dispose();
  });

  it('a training call no loss reads is held until clearPenalties()', async () => {
    const { model, reg } = build(2, 0);
    await expectNoLeak(() => {
      tf.dispose(model.apply(x, { training: true }) as tf.Tensor); // e.g. Monte-Carlo dropout
      reg.clearPenalties();
    }, 'clearPenalties');
    expect(model.calculateLosses().map((l) => l.dataSync()[0])).toEqual([0]);
    model.dispose();
  });

  it('no tensors leak across fit steps (penalties are freed with each step)', async () => {
    const { model } = build(2, 1);
    await model.fit(x, zeros, { epochs: 1, verbose: 0 });
    await expectNoLeak(() => model.fit(x, zeros, { epochs: 5, verbose: 0 }), 'fit with AR/TAR');
    model.dispose();
  });

  it('serialization round-trip: toJSON → modelFromJSON keeps ar/tar and the outputs', async () => {
    const { model } = build(2, 1);
    const restored = await tf.models.modelFromJSON(JSON.parse(model.toJSON(null, true) as string));
    restored.setWeights(model.getWeights());
    const layer = restored.layers[1] as rl.regularizers.ActivityRegularization;
    expect(layer).toBeInstanceOf(rl.regularizers.ActivityRegularization);
    expect([layer.ar, layer.tar]).toEqual([2, 1]);
    allClose(restored.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor);
    model.dispose();
    restored.dispose();
  });

  it('clear errors for bad options and inputs', () => {
    expect(() => rl.regularizers.activity({})).toThrow(/set option 'ar'.*'tar'/);
    expect(() => rl.regularizers.activity({ ar: -2 })).toThrow(/rl.regularizers.activity: option 'ar'.*-2/);
    const reg = rl.regularizers.activity({ tar: 1 });
    expect(() => reg.apply(tf.ones([3]), { training: true })).toThrow(/TAR needs an input with a time axis/);
  });
});
