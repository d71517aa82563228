/**
 * With every regularizer off, rl.layers.lstm / gru compute what tf.layers.lstm / gru compute for
 * the same weights (tfjs given recurrentActivation 'sigmoid', since tfjs defaults to hardSigmoid),
 * and what PyTorch's nn.LSTM / nn.GRU compute for converted weights (stored reference values from
 * test/fixtures/make-torch-reference.py).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as rl from 'regulab';
import { allClose } from '../../../test/helpers.js';
import reference from './fixtures/torch-reference.json' with { type: 'json' };

const x = () => tf.randomUniform([3, 4, 5], -1, 1, 'float32', 7);

describe('equality with tf.layers when regularizers are off', () => {
  const cases: [string, object][] = [
    ['defaults', {}],
    ['goBackwards', { goBackwards: true }],
    ['returnSequences', { returnSequences: true }],
    ['hardSigmoid gates', { recurrentActivation: 'hardSigmoid' }],
    ['relu activation', { activation: 'relu' }],
  ];
  for (const [what, opts] of cases) {
    it(`lstm, ${what}`, () => {
      const ours = rl.layers.lstm({ units: 3, seed: 1, ...opts });
      const theirs = tf.layers.lstm({ units: 3, recurrentActivation: 'sigmoid', ...opts });
      const input = x();
      const y = ours.apply(input) as tf.Tensor;
      theirs.apply(input);
      theirs.setWeights(ours.getWeights());
      allClose(y, theirs.apply(input) as tf.Tensor, { atol: 1e-6 }, what);
    });
    it(`gru, ${what}`, () => {
      const ours = rl.layers.gru({ units: 3, seed: 1, ...opts });
      const theirs = tf.layers.gru({ units: 3, recurrentActivation: 'sigmoid', ...opts });
      const input = x();
      const y = ours.apply(input) as tf.Tensor;
      theirs.apply(input);
      theirs.setWeights(ours.getWeights());
      allClose(y, theirs.apply(input) as tf.Tensor, { atol: 1e-6 }, what);
    });
  }

  it('with a padding mask from Embedding(maskZero) and returnState, in a model', () => {
    const ids = tf.tensor2d([
      [3, 1, 0, 0],
      [2, 2, 4, 0],
    ]);
    const build = (rnn: tf.layers.Layer) => {
      const inp = tf.input({ shape: [4] });
      const emb = tf.layers.embedding({
        inputDim: 5,
        outputDim: 3,
        maskZero: true,
        embeddingsInitializer: tf.initializers.randomUniform({ seed: 3, minval: -1, maxval: 1 }),
      });
      const outs = rnn.apply(emb.apply(inp)) as tf.SymbolicTensor[];
      return tf.model({ inputs: inp, outputs: outs });
    };
    const ours = build(rl.layers.lstm({ units: 2, returnSequences: true, returnState: true, seed: 2 }));
    const theirs = build(
      tf.layers.lstm({ units: 2, returnSequences: true, returnState: true, recurrentActivation: 'sigmoid' }),
    );
    theirs.setWeights(ours.getWeights());
    const a = ours.predict(ids) as tf.Tensor[];
    const b = theirs.predict(ids) as tf.Tensor[];
    expect(a).toHaveLength(3);
    for (let i = 0; i < 3; i++) allClose(a[i]!, b[i]!, { atol: 1e-6 }, `output ${i}`);
    // Padded steps carry the state: the last output equals the one at each example's last real step.
    const seq = a[0]!.arraySync() as number[][][];
    expect(seq[0]![3]).toEqual(seq[0]![1]);
    expect(seq[1]![3]).toEqual(seq[1]![2]);
  });
});

describe('PyTorch weight transfer on stored reference values', () => {
  const { batch, steps, inputDim, units } = reference.shape;
  const input = () => tf.tensor3d(reference.x);

  it('nn.LSTM weights → rl.layers.lstm reproduce PyTorch (atol 1e-5)', () => {
    const layer = rl.layers.lstm({ units, returnSequences: true, returnState: true });
    layer.apply(tf.zeros([batch, steps, inputDim]));
    layer.setWeights(rl.layers.fromTorchLstm(reference.lstm));
    const [seq, h, c] = layer.apply(input()) as tf.Tensor[];
    allClose(seq!, reference.lstm.sequence.flat(2), { atol: 1e-5 }, 'sequence');
    allClose(h!, reference.lstm.h.flat(), { atol: 1e-5 }, 'h');
    allClose(c!, reference.lstm.c!.flat(), { atol: 1e-5 }, 'c');
  });

  it('rl.layers.lstm weights → PyTorch layout round-trips (bias_ih + bias_hh preserved)', () => {
    const back = rl.layers.toTorchLstm(rl.layers.fromTorchLstm(reference.lstm));
    allClose(back.weightIh, reference.lstm.weightIh.flat(), { atol: 1e-7 }, 'weight_ih');
    allClose(back.weightHh, reference.lstm.weightHh.flat(), { atol: 1e-7 }, 'weight_hh');
    const sum = reference.lstm.biasIh.map((b, i) => b + reference.lstm.biasHh[i]!);
    allClose(tf.add(back.biasIh, back.biasHh), sum, { atol: 1e-6 }, 'bias sum');
  });

  it('nn.GRU weights → rl.layers.gru({resetAfter: true}) reproduce PyTorch (atol 1e-5), and back exactly', () => {
    const layer = rl.layers.gru({ units, returnSequences: true, resetAfter: true });
    layer.apply(tf.zeros([batch, steps, inputDim]));
    const weights = rl.layers.fromTorchGru(reference.gru);
    expect(weights[2]!.shape).toEqual([2, 3 * units]);
    layer.setWeights(weights);
    allClose(layer.apply(input()) as tf.Tensor, reference.gru.sequence.flat(2), { atol: 1e-5 }, 'sequence');
    const back = rl.layers.toTorchGru(layer.getWeights());
    for (const k of ['weightIh', 'weightHh', 'biasIh', 'biasHh'] as const) {
      allClose(back[k], (reference.gru[k] as number[] | number[][]).flat(), { atol: 1e-7 }, k);
    }
  });

  it('rejects mismatched shapes and a reset-before GRU for PyTorch', () => {
    expect(() => rl.layers.fromTorchLstm({ ...reference.lstm, biasHh: [1, 2] })).toThrow(
      /fromTorchLstm: expected/,
    );
    const resetBefore = rl.layers.gru({ units: 2 });
    resetBefore.apply(tf.zeros([1, 2, 3]));
    expect(() => rl.layers.toTorchGru(resetBefore.getWeights())).toThrow(/resetAfter: true/);
  });
});
