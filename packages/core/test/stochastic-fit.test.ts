/**
 * The stochastic layers inside model.fit: the training flag reaches them (masks in fit, none in
 * evaluate/predict) and a seeded model trains reproducibly.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as rl from 'regulab';
import { values } from './stochastic-helpers.js';

/** A readout that sums its inputs (ones kernel, no bias; fit uses learning rate 0, so it stays so). */
function sumReadout(): tf.layers.Layer {
  return tf.layers.dense({ units: 1, useBias: false, kernelInitializer: 'ones' });
}

const float = (shape: number[]) => ({ x: tf.randomUniform(shape, 1, 2, 'float32', 3) });

/** Each case: a model whose prediction is exactly the target when the stochastic layer is the identity. */
const cases: [string, () => tf.LayersModel, () => { x: tf.Tensor }][] = [
  [
    'dropout',
    () => tf.sequential({ layers: [rl.layers.dropout({ rate: 0.5, inputShape: [4] }), sumReadout()] }),
    () => float([16, 4]),
  ],
  [
    'lockedDropout',
    () =>
      tf.sequential({
        layers: [
          rl.layers.lockedDropout({ rate: 0.5, inputShape: [3, 4] }),
          tf.layers.flatten(),
          sumReadout(),
        ],
      }),
    () => float([16, 3, 4]),
  ],
  [
    'spatialDropout1d',
    () =>
      tf.sequential({
        layers: [
          rl.layers.spatialDropout1d({ rate: 0.5, inputShape: [3, 4] }),
          tf.layers.flatten(),
          sumReadout(),
        ],
      }),
    () => float([16, 3, 4]),
  ],
  [
    'spatialDropout2d',
    () =>
      tf.sequential({
        layers: [
          rl.layers.spatialDropout2d({ rate: 0.5, inputShape: [3, 3, 4] }),
          tf.layers.flatten(),
          sumReadout(),
        ],
      }),
    () => float([16, 3, 3, 4]),
  ],
  [
    'dropBlock',
    () =>
      tf.sequential({
        layers: [
          rl.layers.dropBlock({ rate: 0.5, blockSize: 2, inputShape: [4, 4, 3] }),
          tf.layers.flatten(),
          sumReadout(),
        ],
      }),
    () => float([16, 4, 4, 3]),
  ],
  [
    'gaussianDropout',
    () =>
      tf.sequential({ layers: [rl.layers.gaussianDropout({ rate: 0.5, inputShape: [4] }), sumReadout()] }),
    () => float([16, 4]),
  ],
  [
    'alphaDropout',
    () => tf.sequential({ layers: [rl.layers.alphaDropout({ rate: 0.5, inputShape: [4] }), sumReadout()] }),
    () => float([16, 4]),
  ],
  [
    'dropConnectDense',
    () =>
      tf.sequential({
        layers: [
          rl.layers.dropConnectDense({
            units: 1,
            rate: 0.5,
            inputShape: [4],
            useBias: false,
            kernelInitializer: 'ones',
          }),
        ],
      }),
    () => float([16, 4]),
  ],
  [
    'embeddingDropout',
    () =>
      tf.sequential({
        layers: [
          rl.layers.embeddingDropout({
            inputDim: 10,
            outputDim: 2,
            rate: 0.5,
            inputLength: 6,
            embeddingsInitializer: 'ones',
          }),
          tf.layers.flatten(),
          sumReadout(),
        ],
      }),
    () => ({
      x: tf.tensor2d(
        Array.from({ length: 16 * 6 }, (_, i) => i % 10),
        [16, 6],
        'int32',
      ),
    }),
  ],
];

describe('stochastic layers in model.fit', () => {
  it.each(cases)(
    '%s: perturbs in fit, is the identity in evaluate and predict',
    async (_name, build, data) => {
      const model = build();
      const { x } = data();
      const target = tf.tidy(() =>
        tf.reshape(tf.sum(tf.reshape(model.predict(x) as tf.Tensor, [x.shape[0], -1]), 1), [-1, 1]),
      );
      model.compile({ optimizer: tf.train.sgd(0), loss: 'meanSquaredError' }); // weights stay fixed
      const history = await model.fit(x, target, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
      const fitLoss = history.history.loss[0] as number;
      const evalLoss = model.evaluate(x, target, { batchSize: 8 }) as tf.Scalar;
      // With every layer the identity the loss is 0 (predict made the target); a mask or noise makes it > 0.
      expect(fitLoss).toBeGreaterThan(1e-3);
      expect(evalLoss.dataSync()[0]).toBeLessThan(1e-10);
      tf.dispose([x, target, evalLoss]);
      model.dispose();
    },
  );

  it('a seeded model trains reproducibly, and another seed trains differently', async () => {
    const build = (seed: number) =>
      tf.sequential({
        layers: [
          rl.layers.embeddingDropout({ inputDim: 12, outputDim: 4, rate: 0.2, seed, inputLength: 5 }),
          rl.layers.lockedDropout({ rate: 0.3, seed: seed + 1 }),
          tf.layers.flatten(),
          rl.layers.dropout({ rate: 0.2, seed: seed + 2 }),
          rl.layers.dropConnectDense({ units: 1, rate: 0.3, seed: seed + 3 }),
        ],
      });
    const ids = tf.tensor2d(
      Array.from({ length: 24 * 5 }, (_, i) => (i * 7) % 12),
      [24, 5],
      'int32',
    );
    const y = tf.randomNormal([24, 1], 0, 1, 'float32', 9);
    const template = build(0);
    const train = async (seed: number) => {
      const model = build(seed);
      model.setWeights(template.getWeights());
      model.compile({ optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError' });
      const h = await model.fit(ids, y, { epochs: 3, batchSize: 8, shuffle: false, verbose: 0 });
      const weights = model.getWeights().flatMap((w) => values(w));
      model.dispose();
      return { loss: h.history.loss as number[], weights };
    };
    const a = await train(100);
    const b = await train(100);
    const c = await train(200);
    expect(b.loss).toEqual(a.loss);
    expect(b.weights).toEqual(a.weights);
    expect(c.loss).not.toEqual(a.loss);
    expect(a.weights).not.toEqual(template.getWeights().flatMap((w) => values(w))); // it trained
    expect(a.loss.every(Number.isFinite)).toBe(true);
    template.dispose();
    tf.dispose([ids, y]);
  });
});
