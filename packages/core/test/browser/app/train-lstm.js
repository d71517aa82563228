// A few training steps of a small character model with Regulab's LSTM (zoneout on the cell and the
// hidden state, seeded) and AdamW, from fixed weights and data: the same losses wherever it runs,
// up to the float32 rounding of the kernels (native in Node, WebAssembly or reference in a
// browser). Plain JavaScript so that every bundler builds it with its defaults.
import * as tf from '@tensorflow/tfjs';
import * as rl from 'regulab';

export const SHAPE = { batch: 4, steps: 12, vocab: 6, units: 16 };
export const TRAIN_STEPS = 5;

/** Fixed values for a weight: 0.3·sin(1.7·i + k), no random generator involved. */
function fixedWeight(shape, k) {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = 0.3 * Math.sin(1.7 * i + k);
  return tf.tensor(v, shape);
}

/** One-hot inputs [B, T, V] and next-character targets [B, T, V] of a fixed periodic text. */
function batch() {
  const { batch: b, steps: t, vocab: v } = SHAPE;
  const ids = [];
  for (let i = 0; i < b; i++) for (let j = 0; j <= t; j++) ids.push((i * 7 + j * j) % v);
  const at = (i, j) => ids[i * (t + 1) + j];
  const x = [];
  const y = [];
  for (let i = 0; i < b; i++) {
    for (let j = 0; j < t; j++) {
      x.push(at(i, j));
      y.push(at(i, j + 1));
    }
  }
  return tf.tidy(() => ({
    x: tf.oneHot(tf.tensor1d(x, 'int32'), v).reshape([b, t, v]), // [B, T, V]
    y: tf.oneHot(tf.tensor1d(y, 'int32'), v).reshape([b, t, v]), // [B, T, V]
  }));
}

/** Trains TRAIN_STEPS steps; returns the loss of each (before its update). */
export async function trainLstm() {
  const { steps, vocab, units } = SHAPE;
  const model = tf.sequential({
    layers: [
      rl.layers.lstm({
        units,
        returnSequences: true,
        zoneoutCell: 0.5,
        zoneoutHidden: 0.1,
        seed: 7,
        inputShape: [steps, vocab],
      }),
      tf.layers.dense({ units: vocab, activation: 'softmax' }),
    ],
  });
  const weights = model.getWeights().map((w, k) => fixedWeight(w.shape, k));
  model.setWeights(weights);
  weights.forEach((w) => w.dispose());
  model.compile({
    optimizer: rl.optimizers.adamw({ learningRate: 0.01, weightDecay: 0.01 }),
    loss: 'categoricalCrossentropy',
  });
  const { x, y } = batch();
  const losses = [];
  for (let s = 0; s < TRAIN_STEPS; s++) losses.push(await model.trainOnBatch(x, y));
  tf.dispose([x, y]);
  model.dispose();
  return losses;
}
