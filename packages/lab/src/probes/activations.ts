/**
 * `--probe activations`: the variance of every layer's output on the probe batch (the first
 * training examples, the same every time), in inference mode and in training mode, at the start,
 * after batches 1, 2, 4, 8, … of epoch 1, and after each epoch (issue 14, experiments `variance`
 * and `batchnorm-dropout`).
 *
 * For a layer output x reshaped to [N, C] (C = the last axis: a dense layer's units, a
 * channels-last feature map's channels; N = the examples times any positions), per unit c
 *
 *   mean_c = (1/N) Σ_n x_nc,   var_c = (1/N) Σ_n (x_nc − mean_c)²,   sq_c = (1/N) Σ_n x_nc²,
 *
 * and the values logged are the means over the units:
 *
 *   `<layer>/<mode>`         (1/C) Σ_c var_c       the activation variance
 *   `<layer>/<mode>/square`  (1/C) Σ_c sq_c        the second moment (what dropout's 1/(1−p) scales)
 *
 * with mode `inference` (no noise) or `train` (the training noise on: every Regulab stochastic
 * layer draws its masks as in training). For a dropout layer y = m ⊙ x / (1 − p), m ~ Bernoulli(1 − p),
 * the train-mode values satisfy E[var(y)] = var(x) + p/(1 − p) · sq(x); the report checks it.
 *
 * For each BatchNormalization layer (normalizing the last axis) also:
 *
 *   `<bn>/moving-variance`   (1/C) Σ_c σ²_c                   its moving variance, what it divides by at inference
 *   `<bn>/shift`             Σ_c var_c(in) / Σ_c σ²_c         the variance shift
 *
 * where var_c(in) is the inference-mode variance of its input: the variance BN meets at inference
 * over the variance it learned in training (where it normalizes to 1) — Li et al.'s variance
 * shift (CVPR 2019) when dropout before BN made the training-time variance larger than the
 * inference one. A ratio of sums, so channels that never vary (dead relu units, σ² ≈ 0) weigh
 * nothing instead of counting as a shift of 0 (`varianceShift`).
 *
 * Training mode without changing training: the train-mode pass runs with `training: false` inside
 * `rl.inference.withSampling` (the context Monte Carlo dropout uses), whose seed stream is the
 * probe's own (a fork of the run seed, restarted at every measurement, so each measurement draws
 * the same masks and a resumed run measures what an uninterrupted one did). The layers' own seed
 * streams do not advance, nothing is added to their losses, and batch norm normalizes with its
 * moving statistics in both modes and never updates them — so BN's *input*, where the shift is
 * measured, is exactly what a training pass would feed it on this batch with these masks, while
 * layers after a BN see moving rather than batch statistics. tfjs's own `Dropout` (not
 * `RegulabDropout`) draws no masks in this context.
 */
import * as tf from '@tensorflow/tfjs';
import * as rl from 'regulab';
import type { ProbeContext, TrainingProbe } from '../train/probe.js';
import { activationKeys, type ActivationMode, varianceShift } from './activation-keys.js';

export { activationKeys, type ActivationMode, varianceShift } from './activation-keys.js';

/** Epoch 1's batches (1-based) after which the probe measures: 1, 2, 4, 8, … */
export function measuredBatch(epoch: number, batch: number): boolean {
  const n = batch + 1;
  return epoch === 1 && (n & (n - 1)) === 0;
}

/** Per-unit variance and second moment of `x` over every axis but the last: two arrays [C]. */
export function unitMoments(x: tf.Tensor): { variance: Float32Array; square: Float32Array } {
  return tf.tidy(() => {
    const channels = x.rank < 2 ? 1 : x.shape[x.rank - 1]!;
    const flat = tf.reshape(x, [-1, channels]); // [N, C]
    const { variance } = tf.moments(flat, 0); // [C]
    const square = tf.mean(tf.square(flat), 0); // [C]
    return { variance: variance.dataSync() as Float32Array, square: square.dataSync() as Float32Array };
  });
}

const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;

/** A BatchNormalization layer's moving variance [C], or null for any other layer. */
function movingVarianceOf(layer: tf.layers.Layer): (() => Float32Array) | null {
  if (layer.getClassName() !== 'BatchNormalization') return null;
  const variable = layer.weights.find((w) => w.originalName.endsWith('moving_variance'));
  return variable === undefined ? null : () => variable.read().dataSync() as Float32Array;
}

export function activationsProbe({ model, probeBatch, seed }: ProbeContext): TrainingProbe {
  const names = model.layers.map((l) => l.name);
  const norms = model.layers.map(movingVarianceOf);
  const masks = () => new rl.SeedStream(seed).fork('probe:activations');
  return {
    name: 'activations',
    measureAfterBatch: measuredBatch,
    measure() {
      const values: Record<string, number> = {};
      tf.tidy(() => {
        const { input } = probeBatch();
        const record = (mode: ActivationMode) => (i: number, out: tf.Tensor) => {
          const m = unitMoments(out);
          values[activationKeys.variance(names[i]!, mode)] = mean(m.variance);
          values[activationKeys.square(names[i]!, mode)] = mean(m.square);
        };
        model.forward(input, undefined, false, record('inference'));
        rl.inference.withSampling(masks(), () => model.forward(input, undefined, false, record('train')));
        norms.forEach((moving, i) => {
          if (moving === null || i === 0) return; // the first layer's input is the data
          values[activationKeys.movingVariance(names[i]!)] = mean(moving());
          values[activationKeys.shift(names[i]!)] = varianceShift(values, names[i - 1]!, names[i]!);
        });
      });
      return values;
    },
  };
}
