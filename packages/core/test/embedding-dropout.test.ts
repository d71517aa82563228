/**
 * Embedding dropout: rl.functional.embeddingDropout and rl.layers.embeddingDropout.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as rl from 'regulab';
import { allClose, checkGradient, expectNoLeak } from '../../../test/helpers.js';
import { meanAndStdError, roundTrip, sixSigmaFraction, values } from './stochastic-helpers.js';

const P = 0.3;

/** The AWD-LSTM formulation: mask the whole [V, D] matrix with a [V, 1] mask, then look up. */
function maskedMatrixLookup(ids: tf.Tensor, e: tf.Tensor, rate: number, seed: number): tf.Tensor {
  return tf.tidy(() => {
    const [v, d] = e.shape;
    const bern = tf.cast(tf.less(tf.randomUniform([v], 0, 1, 'float32', seed), 1 - rate), 'float32'); // [V]
    const masked = tf.mul(e, tf.div(tf.reshape(bern, [v, 1]), 1 - rate)); // [V, D]
    return tf.reshape(tf.gather(masked, tf.reshape(ids, [-1])), [...ids.shape, d]);
  });
}

describe('rl.functional.embeddingDropout', () => {
  it('equals masking the [V, D] matrix with a [V, 1] mask scaled by 1/(1 − p), then the lookup', () => {
    const e = tf.randomNormal([12, 4], 0, 1, 'float32', 1);
    const ids = tf.tensor2d(
      [
        [0, 3, 3, 11, 5],
        [5, 3, 7, 0, 2],
      ],
      undefined,
      'int32',
    );
    const y = rl.functional.embeddingDropout(ids, e, P, true, 77);
    const expected = maskedMatrixLookup(ids, e, P, 77);
    allClose(y, expected, { atol: 0, rtol: 1e-6 }, 'row-masked lookup');
    expect(y.shape).toEqual([2, 5, 4]);
    tf.dispose([e, ids, y, expected]);
  });

  it('zeroes every occurrence of a dropped word and scales every occurrence of a kept one', () => {
    const vocab = 10;
    const e = tf.randomUniform([vocab, 3], 1, 2, 'float32', 2); // no zero entries
    const idsArr = Array.from({ length: 8 }, (_, b) =>
      Array.from({ length: 12 }, (_, t) => (b * 5 + t * 3) % vocab),
    );
    const ids = tf.tensor2d(idsArr, undefined, 'int32');
    const y = rl.functional.embeddingDropout(ids, e, 0.5, true, 5).arraySync() as number[][][];
    const rows = e.arraySync() as number[][];
    const kept = new Map<number, boolean>();
    idsArr.forEach((seq, b) =>
      seq.forEach((word, t) => {
        const isKept = y[b][t][0] !== 0;
        if (!kept.has(word)) kept.set(word, isKept);
        expect(isKept, `word ${word} at [${b}, ${t}]`).toBe(kept.get(word));
        const expected = rows[word].map((v) => (isKept ? v / 0.5 : 0));
        allClose(y[b][t], expected, { atol: 0, rtol: 1e-6 }, `word ${word} at [${b}, ${t}]`);
      }),
    );
    expect(new Set(kept.values()).size).toBe(2); // some word kept, some dropped (p ≈ 1 − 2·0.5^10)
    tf.dispose([e, ids]);
  });

  it('drops a fraction p of the word types (6σ) and preserves the expectation (6 standard errors)', () => {
    const vocab = 20_000;
    const e = tf.ones([vocab, 1]);
    const ids = tf.range(0, vocab, 1, 'int32');
    const y = rl.functional.embeddingDropout(ids, e, P, true, 3);
    const v = values(y);
    const zeros = v.filter((a) => a === 0).length / vocab;
    expect(Math.abs(zeros - P)).toBeLessThan(sixSigmaFraction(P, vocab));
    // E[m/(1 − p)] = 1 with variance p/(1 − p) per word type.
    const { mean } = meanAndStdError(v);
    expect(Math.abs(mean - 1)).toBeLessThan(6 * Math.sqrt(P / ((1 - P) * vocab)));
    tf.dispose([e, ids, y]);
  });

  it('is the plain lookup at inference and for p = 0', () => {
    const e = tf.randomNormal([6, 2], 0, 1, 'float32', 4);
    const ids = tf.tensor1d([5, 0, 2], 'float32'); // float ids are cast
    const plain = tf.gather(e, tf.cast(ids, 'int32'));
    for (const y of [
      rl.functional.embeddingDropout(ids, e, P, false, 1),
      rl.functional.embeddingDropout(ids, e, 0, true, 1),
    ]) {
      allClose(y, plain, { atol: 0, rtol: 0 });
      y.dispose();
    }
    tf.dispose([e, ids, plain]);
  });

  it('gradient matches finite differences, and dropped rows get none (fixed mask; atol 2e-3, rtol 2e-2)', () => {
    const e = tf.randomNormal([8, 3], 0, 1, 'float32', 6);
    const ids = tf.tensor2d(
      [
        [1, 2, 2, 7],
        [0, 1, 5, 5],
      ],
      undefined,
      'int32',
    );
    const r = tf.randomNormal([2, 4, 3], 0, 1, 'float32', 7);
    const f = (m: tf.Tensor) =>
      tf.sum(tf.mul(tf.tanh(rl.functional.embeddingDropout(ids, m, 0.5, true, 13)), r)) as tf.Scalar;
    checkGradient(f, e);
    const g = tf.grad(f)(e).arraySync() as number[][];
    const y = rl.functional.embeddingDropout(ids, e, 0.5, true, 13).arraySync() as number[][][];
    (ids.arraySync() as number[][]).forEach((seq, b) =>
      seq.forEach((word, t) => {
        if (y[b][t][0] === 0) expect(g[word].every((v) => v === 0)).toBe(true);
      }),
    );
    tf.dispose([e, ids, r]);
  });

  it('rejects rates outside [0, 1)', () => {
    const e = tf.ones([3, 2]);
    const ids = tf.tensor1d([0, 1], 'int32');
    expect(() => rl.functional.embeddingDropout(ids, e, 1, true, 1)).toThrow(
      /embeddingDropout: option 'rate'.*got 1/,
    );
    tf.dispose([e, ids]);
  });
});

describe('rl.layers.embeddingDropout', () => {
  it('looks up E[ids] at inference and (E ⊙ m/(1 − p))[ids] in training, from SeedStream(seed)', () => {
    const layer = rl.layers.embeddingDropout({ inputDim: 9, outputDim: 4, rate: P, seed: 17 });
    const stream = new rl.SeedStream(17);
    const ids = tf.tensor2d(
      [
        [1, 4, 4, 8],
        [0, 8, 2, 1],
      ],
      undefined,
      'int32',
    );
    const inference = layer.apply(ids) as tf.Tensor;
    const [e] = layer.getWeights();
    const plain = tf.reshape(tf.gather(e, tf.reshape(ids, [-1])), [2, 4, 4]);
    allClose(inference, plain, { atol: 0, rtol: 0 }, 'inference');
    const outputs: number[][] = [];
    for (let call = 0; call < 2; call++) {
      const y = layer.apply(ids, { training: true }) as tf.Tensor;
      const expected = maskedMatrixLookup(ids, e, P, stream.next());
      allClose(y, expected, { atol: 0, rtol: 1e-6 }, `call ${call}`);
      outputs.push(values(y));
      tf.dispose([y, expected]);
    }
    expect(outputs[1]).not.toEqual(outputs[0]);
    tf.dispose([ids, inference, plain]);
  });

  it('accepts any batch size and sequence length', () => {
    const layer = rl.layers.embeddingDropout({ inputDim: 5, outputDim: 2, rate: P });
    for (const shape of [
      [3, 4],
      [1, 9],
    ]) {
      const ids = tf.zeros(shape, 'int32');
      const y = layer.apply(ids, { training: true }) as tf.Tensor;
      expect(y.shape).toEqual([...shape, 2]);
      tf.dispose([ids, y]);
    }
  });

  it('rejects bad options naming the layer', () => {
    for (const rate of [1, -0.5]) {
      expect(() => rl.layers.embeddingDropout({ inputDim: 3, outputDim: 2, rate })).toThrow(
        `rl.layers.embeddingDropout: option 'rate' must be a number in [0, 1), got ${rate}`,
      );
    }
    expect(() => rl.layers.embeddingDropout({ inputDim: 0, outputDim: 2, rate: 0.1 })).toThrow(
      /option 'inputDim'/,
    );
    expect(() => rl.layers.embeddingDropout({ inputDim: 3, outputDim: 2.5, rate: 0.1 })).toThrow(
      /option 'outputDim'/,
    );
  });

  it('leaks no tensors', async () => {
    const layer = rl.layers.embeddingDropout({ inputDim: 6, outputDim: 3, rate: P, seed: 1 });
    const ids = tf.tensor2d([[1, 2, 3]], undefined, 'int32');
    (layer.apply(ids) as tf.Tensor).dispose(); // build outside the check
    await expectNoLeak(() => (layer.apply(ids, { training: true }) as tf.Tensor).dispose(), 'training call');
    await expectNoLeak(() => (layer.apply(ids) as tf.Tensor).dispose(), 'inference call');
    ids.dispose();
  });

  it('round-trips through model.toJSON → modelFromJSON', async () => {
    const model = tf.sequential({
      layers: [
        rl.layers.embeddingDropout({
          inputDim: 7,
          outputDim: 3,
          rate: 0.1,
          seed: 4,
          inputLength: 5,
          maskZero: true,
        }),
        tf.layers.lstm({ units: 2 }),
      ],
    });
    const restored = await roundTrip(model);
    const layer = restored.layers[0];
    expect(layer).toBeInstanceOf(rl.layers.EmbeddingDropout);
    expect(layer.getConfig()).toMatchObject({
      inputDim: 7,
      outputDim: 3,
      rate: 0.1,
      seed: 4,
      maskZero: true,
    });
    const ids = tf.tensor2d(
      [
        [1, 2, 3, 0, 0],
        [6, 5, 4, 3, 2],
      ],
      undefined,
      'int32',
    );
    const [a, b] = [model.predict(ids), restored.predict(ids)] as tf.Tensor[];
    allClose(b, a, { atol: 1e-6, rtol: 1e-6 });
    tf.dispose([ids, a, b]);
    model.dispose();
    restored.dispose();
  });
});
