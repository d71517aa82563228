/**
 * The language model of `charlm` and `wordlm`: an embedding, a stack of LSTM layers (each with the
 * run's regularizers) and a dense softmax layer over the vocabulary.
 *
 *     e_t = E[x_t]                         E: [V, embed]
 *     h^l_t = LSTM_l(h^{l−1}_t), h^0 = e
 *     p(x_{t+1} | x_≤t) = softmax(W h^L_t + b)
 *
 * Shapes: inputs [B, T] token ids → logits [B·T, V]. The recurrent state ([h, c] per layer, each
 * [B, H]) is passed in and returned, so the caller decides whether to carry it across windows.
 */
import * as tf from '@tensorflow/tfjs';
import * as rl from 'regulab';
import type { LmConfig } from './config.js';
import { embeddingLookup } from './embedding-lookup.js';
import { lstmLayer } from './recurrent-layer.js';

/** [h, c] of one layer, each [B, H]. */
export type LstmState = [tf.Tensor2D, tf.Tensor2D];

export class LmModel {
  readonly embedding: tf.layers.Layer;
  readonly lstms: tf.layers.Layer[];
  readonly output: tf.layers.Layer;
  readonly vocabSize: number;
  readonly units: number;

  constructor(config: LmConfig, vocabSize: number) {
    const seeds = new rl.SeedStream(config.seed).fork('model');
    this.vocabSize = vocabSize;
    this.units = config.hidden;
    this.embedding = tf.layers.embedding({
      name: 'embedding',
      inputDim: vocabSize,
      outputDim: config.embed,
      embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed: seeds.next() }),
    });
    this.lstms = Array.from({ length: config.layers }, (_, l) =>
      lstmLayer({
        name: `lstm_${l}`,
        units: config.hidden,
        returnSequences: true,
        dropout: config.dropout,
        recurrentDropout: config.recurrentDropout,
        recurrentDropoutMode: config.recurrentDropoutMode,
        zoneoutCell: config.zoneoutCell,
        zoneoutHidden: config.zoneoutHidden,
        weightDrop: config.weightDrop,
        seed: seeds.fork(`lstm_${l}`).next(),
      }),
    );
    this.output = tf.layers.dense({
      name: 'softmax',
      units: vocabSize,
      kernelInitializer: tf.initializers.glorotUniform({ seed: seeds.next() }),
    });
    // Build every layer now, so the weights exist before the first checkpoint restore.
    tf.tidy(() => {
      this.embedding.apply(tf.zeros([1, 1], 'int32'));
      this.forward(tf.zeros([1, 1], 'int32') as tf.Tensor2D, this.zeroState(1), false);
    });
  }

  /** Every layer that owns weights, in checkpoint order. */
  get layers(): tf.layers.Layer[] {
    return [this.embedding, ...this.lstms, this.output];
  }

  zeroState(batch: number): LstmState[] {
    return this.lstms.map(() => [tf.zeros([batch, this.units]), tf.zeros([batch, this.units])] as LstmState);
  }

  /** Logits [B·T, V] for inputs [B, T], and each layer's final state. */
  forward(
    inputs: tf.Tensor2D,
    state: readonly LstmState[],
    training: boolean,
  ): { logits: tf.Tensor2D; state: LstmState[] } {
    const [B, T] = inputs.shape;
    const table = this.embedding.weights[0]!.read() as tf.Tensor2D; // [V, embed]
    let x = tf.reshape(embeddingLookup(table, tf.reshape(inputs, [B * T])), [B, T, -1]) as tf.Tensor3D; // [B, T, embed]
    const next: LstmState[] = [];
    this.lstms.forEach((lstm, l) => {
      const [seq, h, c] = lstm.apply(x, { initialState: [...state[l]!], training }) as tf.Tensor[];
      x = seq as tf.Tensor3D; // [B, T, H]
      next.push([h as tf.Tensor2D, c as tf.Tensor2D]);
    });
    const H = x.shape[2];
    const logits = this.output.apply(tf.reshape(x, [B * T, H])) as tf.Tensor2D; // [B·T, V]
    return { logits, state: next };
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
