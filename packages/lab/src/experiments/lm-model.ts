/**
 * The language model of `charlm` and `wordlm`: the run's model spec (by default an embedding, a
 * stack of LSTM layers with the run's regularizers and a dense layer over the vocabulary; see
 * ./model-specs.ts) built with `"$vocab"` set to the vocabulary size.
 *
 *     e_t = E[x_t]                         E: [V, embed]
 *     h^l_t = LSTM_l(h^{l−1}_t), h^0 = e
 *     p(x_{t+1} | x_≤t) = softmax(W h^L_t + b)
 *
 * Shapes: inputs [B, T] token ids → logits [B·T, V]. The recurrent state (per recurrent layer:
 * [h, c] for an LSTM, [h] for a GRU, each [B, H]) is passed in and returned, so the caller decides
 * whether to carry it across windows.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors.js';
import type { ModelSpec } from '../model/model-spec.js';
import { type RecurrentState, SpecModel } from '../model/spec-model.js';
import { fillTaskValues } from '../model/task-values.js';

export class LmModel {
  readonly model: SpecModel;
  readonly vocabSize: number;

  constructor(spec: ModelSpec, seed: number, vocabSize: number) {
    this.vocabSize = vocabSize;
    this.model = new SpecModel(fillTaskValues(spec, { vocab: vocabSize }), {
      seed,
      input: { shape: [1], dtype: 'int32' },
    });
    const out = this.model.outputShape;
    if (out.length !== 3 || out[2] !== vocabSize) {
      throw new ConfigError(
        `model spec: a language model maps ids [B, T] to logits [B, T, ${vocabSize}] (one per vocabulary entry: "units": "$vocab" on the last layer), but this one gives [${out.join(', ')}] for [1, 1]`,
      );
    }
  }

  /** Every layer, in checkpoint order. */
  get layers(): tf.layers.Layer[] {
    return this.model.layers;
  }

  zeroState(batch: number): RecurrentState[] {
    return this.model.zeroState(batch);
  }

  /** Logits [B·T, V] for inputs [B, T], and each recurrent layer's final state. */
  forward(
    inputs: tf.Tensor2D,
    state: readonly RecurrentState[],
    training: boolean,
  ): { logits: tf.Tensor2D; state: RecurrentState[] } {
    const [B, T] = inputs.shape;
    const out = this.model.forward(inputs, state, training); // [B, T, V]
    return { logits: tf.reshape(out.output, [B * T, this.vocabSize]) as tf.Tensor2D, state: out.state };
  }
}

/**
 * Mean cross-entropy (nats) of logits [N, V] against target ids [N]:
 * −(1/N) Σ_n log softmax(logits_n)[target_n].
 */
export function sparseCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const logp = tf.logSoftmax(logits); // [N, V]
    const picked = tf.sum(tf.mul(logp, tf.oneHot(targets, logits.shape[1])), 1); // [N]
    return tf.neg(tf.mean(picked)) as tf.Scalar;
  });
}
