/**
 * DropConnect: rl.functional.dropConnect and rl.layers.dropConnectDense.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as rl from 'regulab';
import { allClose, checkGradient, expectNoLeak } from '../../../test/helpers.js';
import { roundTrip, sixSigmaFraction, values, zeroFraction } from './stochastic-helpers.js';

const P = 0.5;

/** y = act(x·W + b) computed from the layer's weights, for a rank-2 or rank-3 x. */
function denseReference(
  x: tf.Tensor,
  kernel: tf.Tensor,
  bias: tf.Tensor | null,
  act: (t: tf.Tensor) => tf.Tensor,
) {
  return tf.tidy(() => {
    const [d, u] = kernel.shape;
    let y = tf.matMul(tf.reshape(x, [-1, d]), kernel);
    if (bias) y = tf.add(y, bias);
    return tf.reshape(act(y), [...x.shape.slice(0, -1), u]);
  });
}

describe('rl.functional.dropConnect', () => {
  it('drops a fraction p of the weights (6σ bound) and scales the rest by 1/(1 − p)', () => {
    const w = tf.randomUniform([200, 100], 1, 2, 'float32', 1);
    const dropped = rl.functional.dropConnect(w, 0.3, true, 8);
    expect(Math.abs(zeroFraction(dropped) - 0.3)).toBeLessThan(sixSigmaFraction(0.3, 20_000));
    const ws = values(w);
    const bad = values(dropped).filter((v, i) => v !== 0 && Math.abs(v - ws[i] / 0.7) > 1e-6 * ws[i]);
    expect(bad).toEqual([]);
    expect(rl.functional.dropConnect(w, 0.3, false, 8)).toBe(w);
    tf.dispose([w, dropped]);
  });

  it('gradient with respect to the kernel matches finite differences (fixed mask; atol 2e-3, rtol 2e-2)', () => {
    const x = tf.randomNormal([3, 4], 0, 1, 'float32', 2);
    const w = tf.randomNormal([4, 5], 0, 0.5, 'float32', 3);
    const f = (k: tf.Tensor) =>
      tf.sum(tf.tanh(tf.matMul(x, rl.functional.dropConnect(k, P, true, 31)))) as tf.Scalar;
    checkGradient(f, w);
    tf.dispose([x, w]);
  });

  it('rejects rates outside [0, 1)', () => {
    const w = tf.ones([2, 2]);
    expect(() => rl.functional.dropConnect(w, 1, true, 1)).toThrow(
      /rl\.functional\.dropConnect: option 'rate'.*got 1/,
    );
    w.dispose();
  });
});

describe('rl.layers.dropConnectDense', () => {
  it('is x·W + b through the activation at inference, for rank-2 and rank-3 inputs', () => {
    const layer = rl.layers.dropConnectDense({ units: 3, rate: P, activation: 'tanh', seed: 1 });
    for (const shape of [
      [4, 5],
      [2, 6, 5],
    ]) {
      const x = tf.randomNormal(shape, 0, 1, 'float32', shape.length);
      const y = layer.apply(x) as tf.Tensor;
      const [kernel, bias] = layer.getWeights();
      const expected = denseReference(x, kernel, bias, tf.tanh);
      allClose(y, expected, { atol: 1e-6, rtol: 1e-5 }, `inference ${JSON.stringify(shape)}`);
      tf.dispose([x, y, expected]);
    }
    expect(layer.seeds.state).toBe(0);
  });

  it('uses W ⊙ M/(1 − p) in training, one mask per call for the whole batch, from SeedStream(seed)', () => {
    const layer = rl.layers.dropConnectDense({ units: 4, rate: P, seed: 21, biasInitializer: 'ones' });
    const stream = new rl.SeedStream(21);
    const x = tf.randomNormal([6, 3], 0, 1, 'float32', 4);
    layer.apply(x); // build
    const [kernel, bias] = layer.getWeights();
    const outputs: number[][] = [];
    for (let call = 0; call < 2; call++) {
      const y = layer.apply(x, { training: true }) as tf.Tensor;
      const dropped = rl.functional.dropConnect(kernel, P, true, stream.next());
      const expected = denseReference(x, dropped, bias, (t) => t);
      allClose(y, expected, { atol: 1e-6, rtol: 1e-5 }, `call ${call}`);
      outputs.push(values(y));
      tf.dispose([y, dropped, expected]);
    }
    expect(outputs[1]).not.toEqual(outputs[0]); // a fresh mask per call
    // The trained variable stays the raw kernel.
    allClose(layer.getWeights()[0], kernel, { atol: 0, rtol: 0 }, 'raw kernel');
    x.dispose();
  });

  it('sends no gradient to dropped kernel entries', () => {
    const layer = rl.layers.dropConnectDense({ units: 5, rate: P, seed: 3, useBias: false });
    const x = tf.randomUniform([7, 4], 1, 2, 'float32', 5);
    layer.apply(x); // build
    const [kernel] = layer.getWeights();
    const mask = tf.tidy(() =>
      rl.functional.dropConnect(tf.onesLike(kernel), P, true, new rl.SeedStream(3).next()),
    );
    const { grads } = tf.variableGrads(
      () => tf.sum(layer.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
    );
    const g = grads[layer.trainableWeights[0].originalName];
    // d/dW_ij of Σ x·(W⊙M/(1 − p)) = (Σ_b x_bi)·M_ij/(1 − p).
    const expected = tf.tidy(() => tf.mul(tf.reshape(tf.sum(x, 0), [4, 1]), mask));
    allClose(g, expected, { atol: 1e-5, rtol: 1e-5 }, 'kernel gradient');
    tf.dispose([x, mask, expected, ...Object.values(grads)]);
  });

  it('accepts any batch size and passes the dense options through (useBias, initializers)', () => {
    const layer = rl.layers.dropConnectDense({
      units: 2,
      rate: 0.2,
      useBias: false,
      kernelInitializer: 'ones',
    });
    for (const batch of [1, 9]) {
      const x = tf.ones([batch, 3]);
      const y = layer.apply(x, { training: true }) as tf.Tensor;
      expect(y.shape).toEqual([batch, 2]);
      tf.dispose([x, y]);
    }
    expect(layer.getWeights().length).toBe(1);
    expect(values(layer.getWeights()[0])).toEqual([1, 1, 1, 1, 1, 1]); // kernelInitializer 'ones'
  });

  it('rejects bad rates, units and seeds naming the layer', () => {
    for (const rate of [1, -0.1, 7]) {
      expect(() => rl.layers.dropConnectDense({ units: 2, rate })).toThrow(
        `rl.layers.dropConnectDense: option 'rate' must be a number in [0, 1), got ${rate}`,
      );
    }
    expect(() => rl.layers.dropConnectDense({ units: 0, rate: 0.1 })).toThrow(
      /dropConnectDense: option 'units'/,
    );
    expect(() => rl.layers.dropConnectDense({ units: 2, rate: 0.1, seed: 0.5 })).toThrow(/option 'seed'/);
  });

  it('leaks no tensors', async () => {
    const layer = rl.layers.dropConnectDense({ units: 3, rate: P, seed: 1 });
    const x = tf.ones([2, 4]);
    (layer.apply(x) as tf.Tensor).dispose(); // build outside the check
    await expectNoLeak(() => (layer.apply(x, { training: true }) as tf.Tensor).dispose(), 'training call');
    await expectNoLeak(() => (layer.apply(x) as tf.Tensor).dispose(), 'inference call');
    x.dispose();
  });

  it('round-trips through model.toJSON → modelFromJSON with its dense options', async () => {
    const model = tf.sequential({
      layers: [
        rl.layers.dropConnectDense({
          units: 3,
          rate: 0.25,
          seed: 2,
          activation: 'relu',
          inputShape: [4],
          kernelRegularizer: tf.regularizers.l2({ l2: 0.01 }),
          kernelConstraint: tf.constraints.maxNorm({ maxValue: 2 }),
        }),
        tf.layers.dense({ units: 1 }),
      ],
    });
    const restored = await roundTrip(model);
    const layer = restored.layers[0];
    expect(layer).toBeInstanceOf(rl.layers.DropConnectDense);
    expect(layer.getConfig()).toMatchObject({
      units: 3,
      rate: 0.25,
      seed: 2,
      activation: 'relu',
      kernelRegularizer: { className: 'L1L2' },
      kernelConstraint: { className: 'MaxNorm' },
    });
    const x = tf.randomNormal([5, 4], 0, 1, 'float32', 1);
    const [a, b] = [model.predict(x), restored.predict(x)] as tf.Tensor[];
    allClose(b, a, { atol: 1e-6, rtol: 1e-6 });
    tf.dispose([x, a, b]);
    model.dispose();
    restored.dispose();
  });
});
