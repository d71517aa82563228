/**
 * Embedding dropout: drop whole word types (rows of the embedding matrix) before the lookup.
 */
import * as tf from '@tensorflow/tfjs';
import { invertedMask } from '../random/bernoulli.js';
import { checkRate } from '../util/validate.js';
import { seedOrFresh, type CallSeed } from './dropout.js';

/**
 * Embedding lookup with embedding dropout (Gal & Ghahramani, 2016, "A Theoretically Grounded
 * Application of Dropout in Recurrent Neural Networks", §4.2; Merity et al., 2018, "Regularizing
 * and Optimizing LSTM Language Models" (AWD-LSTM, `embedded_dropout`, p = 0.1)).
 *
 * Training: Ẽ = (m / (1 − p)) ⊙ E with one m_v ~ Bernoulli(1 − p) per row v (a [V, 1] mask
 * broadcast over the D columns), then y = Ẽ[ids]. Every occurrence of a dropped word in the
 * batch is the zero vector; kept words are scaled by 1/(1 − p).
 * Inference or p = 0: y = E[ids], the plain lookup.
 *
 * Computed as y[n] = E[ids[n]] · (m/(1 − p))[ids[n]]: the same values and gradients as masking
 * the whole [V, D] matrix, without the O(V·D) multiply; only V random numbers are drawn.
 *
 * Shapes:
 * - ids: any shape S of integer word ids in [0, V) (cast to int32 if float).
 * - embeddings: [V, D].
 * - returns: [...S, D] (float32).
 *
 * Gradients reach only the rows of words that were kept (scaled by 1/(1 − p)).
 */
export function embeddingDropout(
  ids: tf.Tensor,
  embeddings: tf.Tensor,
  rate: number,
  training: boolean,
  seed?: CallSeed,
): tf.Tensor {
  checkRate('rl.functional.embeddingDropout', 'rate', rate);
  return tf.tidy(() => {
    const [vocab, dim] = embeddings.shape;
    const flatIds = tf.reshape(ids.dtype === 'int32' ? ids : tf.cast(ids, 'int32'), [-1]); // [N]
    let rows = tf.gather(embeddings, flatIds); // [N, D]
    if (training && rate > 0) {
      const rowScale = invertedMask([vocab], rate, seedOrFresh(seed)); // [V]: 0 or 1/(1 − p)
      rows = tf.mul(rows, tf.expandDims(tf.gather(rowScale, flatIds), 1)); // [N, D]
    }
    return tf.reshape(rows, [...ids.shape, dim]); // [...S, D]
  });
}
