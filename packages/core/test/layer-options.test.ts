/**
 * The dropout-family layers check their options object as rl.layers.lstm / gru do: a missing
 * object, a value of the wrong type (shown with its type) and an unknown option (named, with the
 * known ones) are RegulabConfigErrors; every option tfjs's own layer takes is still accepted, and
 * the layers still rebuild from their config.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as rl from 'regulab';

type Factory = (args: never) => tf.layers.Layer;

/** Each layer with the smallest valid options. */
const layers: [string, Factory, object][] = [
  ['dropout', rl.layers.dropout, { rate: 0.5 }],
  ['lockedDropout', rl.layers.lockedDropout, { rate: 0.5 }],
  ['spatialDropout1d', rl.layers.spatialDropout1d, { rate: 0.5 }],
  ['gaussianDropout', rl.layers.gaussianDropout, { rate: 0.5 }],
  ['alphaDropout', rl.layers.alphaDropout, { rate: 0.5 }],
  ['dropConnectDense', rl.layers.dropConnectDense, { units: 2, rate: 0.5 }],
  ['embeddingDropout', rl.layers.embeddingDropout, { inputDim: 5, outputDim: 2, rate: 0.5 }],
  ['spatialDropout2d', rl.layers.spatialDropout2d, { rate: 0.5, dataFormat: 'channelsFirst' }],
  ['dropBlock', rl.layers.dropBlock, { rate: 0.5, blockSize: 3, warmupSteps: 10 }],
  ['concreteDropoutDense', rl.layers.concreteDropoutDense, { units: 2, datasetSize: 100 }],
  ['concreteLockedDropoutDense', rl.layers.concreteLockedDropoutDense, { units: 2, datasetSize: 100 }],
];

const make = (f: Factory, args?: unknown) => () => (f as (a?: unknown) => tf.layers.Layer)(args);

describe('dropout-family options', () => {
  for (const [name, factory, valid] of layers) {
    it(`${name}: no options object is a RegulabConfigError listing the options`, () => {
      for (const args of [undefined, null, 0.5, 'rate']) {
        expect(make(factory, args)).toThrow(rl.RegulabConfigError);
      }
      expect(make(factory)).toThrow(
        new RegExp(
          `^rl\\.layers\\.${name}: expects an options object, got undefined; its options: .*\\b${Object.keys(valid).at(-1)}\\b`,
        ),
      );
      expect(make(factory, 0.5)).toThrow(/got 0\.5; its options/);
    });

    it(`${name}: a string rate (or data-set size) is shown as a string`, () => {
      if ('rate' in valid) {
        expect(make(factory, { ...valid, rate: '0.5' })).toThrow(
          `rl.layers.${name}: option 'rate' must be a number in [0, 1), got '0.5' (a string)`,
        );
      } else {
        expect(make(factory, { ...valid, datasetSize: '100' })).toThrow(
          `rl.layers.${name}: option 'datasetSize' must be a positive integer, got '100' (a string)`,
        );
      }
      expect(make(factory, { ...valid, seed: '3' })).toThrow(
        /option 'seed' must be an integer, got '3' \(a string\)/,
      );
    });

    it(`${name}: an unknown option is named with the known ones`, () => {
      const thrown = (() => {
        try {
          make(factory, { ...valid, seeed: 1 })();
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(thrown).toBeInstanceOf(rl.RegulabConfigError);
      const message = (thrown as Error).message;
      expect(message).toMatch(new RegExp(`^rl\\.layers\\.${name}: unknown option 'seeed'; known options: `));
      const known = message.split('known options: ')[1]!.split(', ');
      expect(known).toEqual([...known].sort());
      for (const option of [...Object.keys(valid), 'seed', 'name', 'inputShape', 'trainable']) {
        expect(known).toContain(option);
      }
    });

    it(`${name}: tfjs's layer options are accepted and the config rebuilds the layer`, () => {
      const layer = make(factory, {
        ...valid,
        seed: 1,
        name: `${name}_opts`,
        trainable: true,
        dtype: 'float32',
      })();
      const config = layer.getConfig();
      const [cls, fromConfig] =
        tf.serialization.SerializationMap.getMap().classNameMap[layer.getClassName()]!;
      const rebuilt = fromConfig(cls, { ...config, customObjects: {} }) as tf.layers.Layer; // as modelFromJSON does
      expect(rebuilt).toBeInstanceOf(layer.constructor);
      for (const key of ['name', 'rate', 'seed', 'trainable'])
        expect(rebuilt.getConfig()[key]).toEqual(config[key]);
    });
  }

  it('lockedDropout takes no noiseShape (its mask is [B, 1, F]); dropout does', () => {
    expect(() => rl.layers.lockedDropout({ rate: 0.5, noiseShape: [null, 1, null] } as never)).toThrow(
      /rl\.layers\.lockedDropout: unknown option 'noiseShape'/,
    );
    expect(rl.layers.dropout({ rate: 0.5, noiseShape: [null, 1, null] }).noiseShape).toEqual([null, 1, null]);
  });

  it('dense and embedding options of tfjs are accepted (every one, by name)', () => {
    const dense = rl.layers.dropConnectDense({
      units: 2,
      rate: 0.1,
      activation: 'relu',
      useBias: false,
      kernelInitializer: 'zeros',
      biasInitializer: 'zeros',
      inputDim: 3,
      kernelConstraint: 'nonNeg',
      biasConstraint: 'nonNeg',
      kernelRegularizer: 'l1l2',
      biasRegularizer: 'l1l2',
      activityRegularizer: 'l1l2',
      batchSize: 4,
    });
    expect(dense.getConfig()['useBias']).toBe(false);
    const embedding = rl.layers.embeddingDropout({
      inputDim: 5,
      outputDim: 2,
      rate: 0.1,
      embeddingsInitializer: 'zeros',
      embeddingsRegularizer: 'l1l2',
      activityRegularizer: 'l1l2',
      embeddingsConstraint: 'nonNeg',
      maskZero: true,
      inputLength: 3,
    });
    expect(embedding.getConfig()['maskZero']).toBe(true);
  });

  it('lstm and gru report unknown options through the same checker', () => {
    expect(() => rl.layers.gru({ units: 2, seeed: 1 } as never)).toThrow(
      /^rl\.layers\.gru: unknown option 'seeed'; known options: .*\bseed\b/,
    );
  });
});

describe('describeValue in error messages', () => {
  it('shows each kind of value with its type', () => {
    const cases: [unknown, string][] = [
      [1.5, 'got 1.5'],
      [Number.NaN, 'got NaN'],
      ['0.5', "got '0.5' (a string)"],
      [true, 'got true (a boolean)'],
      [[0.5], 'got [0.5] (an array)'],
      [{ p: 0.5 }, 'got {"p":0.5} (an object)'],
    ];
    for (const [rate, shown] of cases) {
      expect(() => rl.functional.dropout(tf.ones([2]), rate as number, true, 1)).toThrow(shown);
    }
  });
});
