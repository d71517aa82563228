/**
 * The sampling context of rl.inference (Monte Carlo dropout): inside `withSampling`, every
 * stochastic Regulab layer draws its noise from the context's stream at inference, and its own
 * seed stream does not move.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as rl from 'regulab';
import { values } from './stochastic-helpers.js';

const B = 3;
const T = 5;
const D = 4;
const H = 6;

describe('rl.inference: every stochastic Regulab layer samples inside the context', () => {
  const seq = (): tf.Tensor => tf.randomUniform([B, T, D], 1, 2, 'float32', 3);
  const flat = (): tf.Tensor => tf.randomUniform([B, D], 1, 2, 'float32', 3);
  const maps = (): tf.Tensor => tf.randomUniform([B, 6, 6, 2], 1, 2, 'float32', 3);
  const ids = (): tf.Tensor => tf.randomUniform([B, T], 0, 10, 'int32', 3);
  const lstm = (o: Partial<rl.layers.LstmArgs>) => () =>
    rl.layers.lstm({ units: H, returnSequences: true, seed: 2, ...o });
  const table: [string, () => tf.layers.Layer, number[], () => tf.Tensor, 'float32' | 'int32'][] = [
    ['dropout', () => rl.layers.dropout({ rate: 0.5, seed: 1 }), [T, D], seq, 'float32'],
    ['lockedDropout', () => rl.layers.lockedDropout({ rate: 0.5, seed: 1 }), [T, D], seq, 'float32'],
    ['spatialDropout1d', () => rl.layers.spatialDropout1d({ rate: 0.5, seed: 1 }), [T, D], seq, 'float32'],
    [
      'spatialDropout2d',
      () => rl.layers.spatialDropout2d({ rate: 0.5, seed: 1 }),
      [6, 6, 2],
      maps,
      'float32',
    ],
    [
      'dropBlock (warm-up not started: sampling uses the full rate)',
      () => rl.layers.dropBlock({ rate: 0.5, blockSize: 2, warmupSteps: 100, seed: 1 }),
      [6, 6, 2],
      maps,
      'float32',
    ],
    ['gaussianDropout', () => rl.layers.gaussianDropout({ rate: 0.5, seed: 1 }), [D], flat, 'float32'],
    ['alphaDropout', () => rl.layers.alphaDropout({ rate: 0.5, seed: 1 }), [D], flat, 'float32'],
    [
      'dropConnectDense',
      () => rl.layers.dropConnectDense({ units: 3, rate: 0.5, seed: 1 }),
      [D],
      flat,
      'float32',
    ],
    [
      'embeddingDropout',
      () => rl.layers.embeddingDropout({ inputDim: 10, outputDim: 3, rate: 0.5, seed: 1 }),
      [T],
      ids,
      'int32',
    ],
    [
      'concreteDropoutDense',
      () => rl.layers.concreteDropoutDense({ units: 3, initialRate: 0.5, datasetSize: 10, seed: 1 }),
      [D],
      flat,
      'float32',
    ],
    ['lstm dropout', lstm({ dropout: 0.5 }), [T, D], seq, 'float32'],
    ['lstm recurrent dropout (gal)', lstm({ recurrentDropout: 0.5 }), [T, D], seq, 'float32'],
    [
      'lstm recurrent dropout (semeniuta)',
      lstm({ recurrentDropout: 0.5, recurrentDropoutMode: 'semeniuta' }),
      [T, D],
      seq,
      'float32',
    ],
    ['lstm zoneout', lstm({ zoneoutCell: 0.5, zoneoutHidden: 0.5 }), [T, D], seq, 'float32'],
    ['lstm weight-drop', lstm({ weightDrop: 0.5 }), [T, D], seq, 'float32'],
    [
      'gru dropout, recurrent dropout, zoneout',
      () =>
        rl.layers.gru({
          units: H,
          returnSequences: true,
          dropout: 0.3,
          recurrentDropout: 0.3,
          zoneout: 0.3,
          seed: 2,
        }),
      [T, D],
      seq,
      'float32',
    ],
  ];
  for (const [what, make, inputShape, input, dtype] of table) {
    it(`${what}: a sampled predict differs from predict, the layer's own stream does not move`, () => {
      const model = tf.sequential();
      model.add(tf.layers.inputLayer({ inputShape, dtype }));
      const layer = make();
      model.add(layer);
      const x = input();
      const plain = tf.tidy(() => values(model.predict(x) as tf.Tensor));
      const state = (layer as unknown as { seeds: rl.SeedStream }).seeds.state;
      const sampled = tf.tidy(() =>
        rl.inference.withSampling(new rl.SeedStream(9), () => values(model.predict(x) as tf.Tensor)),
      );
      expect(sampled).not.toEqual(plain);
      expect((layer as unknown as { seeds: rl.SeedStream }).seeds.state).toBe(state);
      expect(tf.tidy(() => values(model.predict(x) as tf.Tensor))).toEqual(plain);
      x.dispose();
    });
  }
});
