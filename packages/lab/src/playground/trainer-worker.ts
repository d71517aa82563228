/**
 * One playground model, trained in a Web Worker: a character LSTM (embedding 16 → rl.layers.lstm
 * with the chosen regularizer → softmax over the characters) on the first 90 % of the text, with
 * validation on the last 10 %, on tfjs's cpu backend with Regulab's WebAssembly kernels. Posts a
 * point (train and validation bits per character) every `evalEvery` steps; samples text on request.
 * Messages: ./protocol.ts.
 */
import * as tf from '@tensorflow/tfjs';
import * as rl from 'regulab';
import { uniformGenerator as rng } from '../datasets/seeded-random.js';
import type { FromWorker, ToWorker, TrainConfig } from './protocol.js';

const post = (m: FromWorker) => (globalThis as unknown as Worker).postMessage(m);
let model: tf.LayersModel | null = null;
let chars: string[] = [];
let lastText = '';
let pendingSample: { length: number; temperature: number } | null = null;
let training = false;
let seqLength = 32;

/** Inputs [B, T] (ids) and one-hot next-character targets [B, T, V] at the given starts. */
function batchAt(
  ids: Int32Array,
  starts: number[],
  t: number,
  v: number,
): { x: tf.Tensor2D; y: tf.Tensor3D } {
  const xs = new Int32Array(starts.length * t);
  const ys = new Int32Array(starts.length * t);
  starts.forEach((s, b) => {
    xs.set(ids.subarray(s, s + t), b * t);
    ys.set(ids.subarray(s + 1, s + t + 1), b * t);
  });
  return tf.tidy(() => ({
    x: tf.tensor2d(xs, [starts.length, t], 'int32'), // [B, T]
    y: tf.oneHot(tf.tensor1d(ys, 'int32'), v).reshape([starts.length, t, v]) as tf.Tensor3D, // [B, T, V]
  }));
}

function buildModel(c: TrainConfig, vocab: number): tf.LayersModel {
  const rates = Object.fromEntries(Object.entries(c.rates).filter(([, r]) => r > 0));
  const m = tf.sequential({
    layers: [
      tf.layers.embedding({ inputDim: vocab, outputDim: 16, inputShape: [null] }),
      rl.layers.lstm({ units: c.units, returnSequences: true, seed: c.seed, ...rates }),
      tf.layers.dense({ units: vocab, activation: 'softmax' }),
    ],
  });
  m.compile({
    optimizer: rl.optimizers.adam({ learningRate: c.learningRate }),
    loss: 'categoricalCrossentropy',
  });
  return m;
}

/** Text from the model: each next character drawn from softmax(log p / temperature) of the last window. */
function sample(m: tf.LayersModel, seedText: string, length: number, temperature: number, t: number): string {
  const index = new Map(chars.map((ch, i) => [ch, i]));
  const ids = [...seedText].map((ch) => index.get(ch) ?? 0);
  let out = '';
  for (let i = 0; i < length; i++) {
    const next = tf.tidy(() => {
      const window = ids.slice(-t);
      const p = (m.predict(tf.tensor2d([window], [1, window.length], 'int32')) as tf.Tensor3D) // [1, T, V]
        .slice([0, window.length - 1, 0], [1, 1, chars.length])
        .reshape([1, chars.length]);
      const logits = tf.div(tf.log(tf.add(p, 1e-9)), temperature) as tf.Tensor2D;
      return tf.multinomial(logits, 1).dataSync()[0];
    });
    ids.push(next);
    out += chars[next];
  }
  return out;
}

async function train(c: TrainConfig): Promise<void> {
  training = true;
  await tf.setBackend('cpu');
  const kernels = await rl.kernels.ready();
  chars = [...new Set(c.text)].sort();
  const index = new Map(chars.map((ch, i) => [ch, i]));
  const all = Int32Array.from([...c.text], (ch) => index.get(ch)!);
  const cut = Math.floor(all.length * 0.9);
  const trainIds = all.subarray(0, cut);
  const validIds = all.subarray(cut);
  const v = chars.length;
  const t = c.seqLength;
  seqLength = t;
  if (validIds.length < t + 2)
    throw new Error(`the text is too short: give at least ${(t + 2) * 10} characters`);
  lastText = c.text.slice(0, t);
  post({ type: 'ready', kernels, vocab: v, trainChars: trainIds.length, validChars: validIds.length });
  model = buildModel(c, v);
  const random = rng(c.seed);
  // Validation: up to 8 fixed windows of the held-out text, non-overlapping.
  const validStarts = Array.from(
    { length: Math.min(8, Math.floor((validIds.length - 1) / t)) },
    (_, i) => i * t,
  );
  const valid = batchAt(validIds, validStarts, t, v);
  let trainSum = 0;
  let trainCount = 0;
  let t0 = performance.now();
  for (let step = 1; step <= c.steps; step++) {
    const starts = Array.from({ length: c.batch }, () => Math.floor(random() * (trainIds.length - t - 1)));
    const { x, y } = batchAt(trainIds, starts, t, v);
    trainSum += (await model.trainOnBatch(x, y)) as number;
    trainCount++;
    tf.dispose([x, y]);
    if (step % c.evalEvery === 0 || step === c.steps) {
      const msPerStep = (performance.now() - t0) / trainCount;
      const loss = tf.tidy(() => model!.evaluate(valid.x, valid.y) as tf.Scalar).dataSync()[0];
      post({
        type: 'point',
        step,
        train: trainSum / trainCount / Math.LN2,
        valid: loss / Math.LN2,
        msPerStep,
      });
      trainSum = 0;
      trainCount = 0;
      t0 = performance.now();
    }
    if (pendingSample) {
      post({
        type: 'sample',
        text: sample(model, lastText, pendingSample.length, pendingSample.temperature, t),
      });
      pendingSample = null;
    }
  }
  tf.dispose([valid.x, valid.y]);
  training = false;
  post({ type: 'done' });
}

globalThis.onmessage = (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  if (m.type === 'train')
    train(m.config).catch((err) =>
      post({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
    );
  else if (model === null)
    post({ type: 'error', message: 'nothing to sample from yet: start training first' });
  else if (training)
    pendingSample = m; // served between two training steps
  else post({ type: 'sample', text: sample(model, lastText, m.length, m.temperature, seqLength) });
};
