/**
 * The benchmarked training step, built two ways: with Regulab's LSTM (public API: `rl.layers.lstm`
 * with zoneout, on whichever kernel backend is active) and with tfjs-layers' `tf.layers.lstm`
 * (no zoneout: tfjs has none). The recurrent kernels start Glorot-uniform rather than orthogonal:
 * tfjs's orthogonal initializer takes minutes for 256 units, and the step time does not depend
 * on the initial values. Everything else is the same tfjs code: embedding (or the raw
 * input), a dense head, softmax cross-entropy and the optimizer's update of every weight (Adam:
 * `rl.optimizers.adam` for Regulab, `tf.train.adam` for tfjs-layers; RMSProp: `tf.train.rmsprop`).
 * A normalised case (issue 13) sets Regulab's `normalization` (tfjs-layers has none: the bench
 * does not run it there); batch norm keeps statistics for each of the input's `steps`.
 */
import * as tf from '@tensorflow/tfjs';
import * as rl from 'regulab';
import type { BenchCase } from './cases.js';

export type StepFn = () => void;

/** The case's LSTM layer: Regulab's (zoneout, the case's normalization) or tfjs-layers'. */
export function benchLstm(c: BenchCase, lstmKind: 'regulab' | 'tfjs'): tf.layers.Layer {
  if (lstmKind === 'tfjs') {
    if (c.normalized) throw new Error(`bench: tfjs-layers has no normalized LSTM (${c.name})`);
    return tf.layers.lstm({
      units: c.units,
      returnSequences: c.everyStep,
      recurrentActivation: 'sigmoid',
      recurrentInitializer: 'glorotUniform',
    });
  }
  return rl.layers.lstm({
    units: c.units,
    returnSequences: c.everyStep,
    zoneoutCell: c.zoneoutCell,
    zoneoutHidden: c.zoneoutHidden,
    recurrentInitializer: 'glorotUniform',
    seed: 1,
    ...(c.normalized ? { normalization: c.normalized.normalization } : {}),
  });
}

/** Builds the model and data of a case (with `steps` time steps) and returns one training step. */
export function buildStep(c: BenchCase, steps: number, lstmKind: 'regulab' | 'tfjs'): StepFn {
  const embedding = c.vocab
    ? tf.layers.embedding({ inputDim: c.vocab, outputDim: c.input, name: 'embedding' })
    : null;
  const lstm = benchLstm(c, lstmKind);
  const dense = tf.layers.dense({ units: c.classes, name: 'head' });
  // Regulab's Adam is tf.train.adam's update in one pass per variable on the CPU backend (ε 1e-8).
  const optimizer =
    c.optimizer === 'adam'
      ? lstmKind === 'regulab'
        ? rl.optimizers.adam({ learningRate: 1e-3 })
        : tf.train.adam(1e-3)
      : tf.train.rmsprop(1e-3);

  const x = c.vocab
    ? tf.randomUniform([c.batch, steps], 0, c.vocab, 'int32', 1) // [B, T] symbols
    : tf.randomUniform([c.batch, steps, c.input], 0, 1, 'float32', 1); // [B, T, 1] pixels
  const rows = c.everyStep ? c.batch * steps : c.batch;
  const labels = tf.oneHot(tf.randomUniform([rows], 0, c.classes, 'int32', 2), c.classes); // [rows, classes]

  const loss = (): tf.Scalar => {
    const e = embedding ? (embedding.apply(x) as tf.Tensor3D) : (x as tf.Tensor3D); // [B, T, E]
    const h = lstm.apply(e, { training: true }) as tf.Tensor; // [B, T, H] or [B, H]
    const logits = dense.apply(tf.reshape(h, [rows, c.units])) as tf.Tensor2D; // [rows, classes]
    return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
  };
  tf.tidy(() => {
    loss(); // builds the layers' weights
  });
  const vars = [embedding, lstm, dense]
    .flatMap((l) => l?.trainableWeights ?? [])
    .map((w) => w.read() as tf.Variable);
  return () => {
    tf.tidy(() => {
      optimizer.minimize(loss, false, vars);
    });
  };
}

/**
 * The prediction benchmark of a case with `samples` (mc-predict): the character model (embedding,
 * `rl.layers.lstm` with the case's zoneout, which samples under Monte Carlo inference, and a
 * softmax head) on one batch of ids, two ways: `mc`, one `rl.inference.mcPredict` of `samples`
 * samples (stacked along the batch axis, the default batchSize rows per predict call), and `sequential`, `samples`
 * plain `predict` calls of the batch, the loop MC dropout costs without batching.
 */
export function buildMcPredict(c: BenchCase, steps: number): { mc: StepFn; sequential: StepFn } {
  const samples = c.samples ?? 1;
  const model = tf.sequential({
    layers: [
      tf.layers.embedding({ inputDim: c.vocab ?? 1, outputDim: c.input, inputLength: steps }),
      rl.layers.lstm({
        units: c.units,
        returnSequences: true,
        zoneoutCell: c.zoneoutCell,
        zoneoutHidden: c.zoneoutHidden,
        recurrentInitializer: 'glorotUniform',
        seed: 1,
      }),
      tf.layers.dense({ units: c.classes, activation: 'softmax' }),
    ],
  });
  const x = tf.randomUniform([c.batch, steps], 0, c.vocab ?? 1, 'int32', 1); // [B, T] symbols
  return {
    mc: () => {
      const r = rl.inference.mcPredict(model, x, { samples, seed: 1 }); // default batchSize
      tf.dispose(
        [r.mean, r.variance, r.entropy, r.mutualInformation].filter((t): t is tf.Tensor => t !== null),
      );
    },
    sequential: () => {
      for (let s = 0; s < samples; s++) tf.dispose(model.predict(x, { batchSize: c.batch }));
    },
  };
}
