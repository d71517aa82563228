/**
 * Monte Carlo dropout on one trained mnist classifier (issue 16's `mc-dropout` experiment): its
 * best-epoch weights (../trained-model.ts) scored on the run's test images by ./mc-scores.ts
 * (deterministic vs MC mean: accuracy, NLL, ECE, reliability bins, quality against S). The
 * out-of-distribution sets: the test images rotated by 90° and images of uniform noise (as many as
 * the test images, pixels in [0, 1), seeded); each image is one item.
 *
 * Shapes: test images x [n, 784] → logits [n, 10]; mcPredict's mean [n, 10], entropy and MI [n].
 */
import * as tf from '@tensorflow/tfjs';
import * as rl from 'regulab';
import { uniformGenerator } from '../../datasets/seeded-random.js';
import type { ImageSplit } from '../../datasets/types.js';
import { ConfigError } from '../../errors.js';
import { loadTrainedClassifier } from '../trained-model.js';
import { type McEvaluation, type McEvaluationOptions, type McOutputs, scoreMc } from './mc-scores.js';

export const OOD_SETS = ['rotated', 'noise'] as const;
export type OodSet = (typeof OOD_SETS)[number];

/** Rows per predict call: large, so the samples of the whole test slice run in few calls. */
const BATCH_SIZE = 2048;
const SIDE = 28;

/**
 * Evaluates the classifier trained in `runDir` (an `mnist` run: flat 28×28 images); `done` counts
 * its forward passes (scoreMc).
 */
export async function evaluateMc(
  runDir: string,
  opts: McEvaluationOptions,
  done?: (passes: number) => void,
): Promise<McEvaluation> {
  const trained = await loadTrainedClassifier(runDir);
  try {
    if (trained.config.experiment !== 'mnist')
      throw new ConfigError(
        `${runDir}: MC evaluation takes flat mnist runs, not ${trained.config.experiment}`,
      );
    const test = trained.task.images('test');
    const deterministic = (x: Float32Array) =>
      tf.tidy(() => {
        const logits = trained.model.predict(tf.tensor2d(x, [test.count, SIDE * SIDE])) as tf.Tensor; // [n, 10]
        return tf.softmax(logits).dataSync() as Float32Array; // [n, 10]
      });
    const mc = (x: Float32Array, samples: number): McOutputs => {
      const input = tf.tensor2d(x, [test.count, SIDE * SIDE]); // [n, 784]
      const r = rl.inference.mcPredict(trained.model, input, {
        samples,
        seed: opts.seed,
        batchSize: BATCH_SIZE,
        output: 'logits',
      });
      const out = {
        mean: r.mean.dataSync() as Float32Array, // [n, 10]
        entropy: r.entropy!.dataSync() as Float32Array, // [n]
        mi: r.mutualInformation!.dataSync() as Float32Array, // [n]
      };
      tf.dispose([input, r.mean, r.variance, r.entropy!, r.mutualInformation!]);
      return out;
    };
    const ood: Record<OodSet, Float32Array> = {
      rotated: rotate90(test),
      noise: noiseImages(test.count, opts.seed),
    };
    return scoreMc(
      { test: test.x, ood, labels: test.y, classes: 10, predictionsPerItem: 1, deterministic, mc, done },
      opts,
    );
  } finally {
    trained.dispose();
  }
}

/** Each 28×28 image turned 90° clockwise: out[r][c] = in[27 − c][r]. */
export function rotate90(split: ImageSplit): Float32Array {
  const out = new Float32Array(split.x.length); // [n, 784]
  for (let i = 0; i < split.count; i++) {
    const o = i * SIDE * SIDE;
    for (let r = 0; r < SIDE; r++)
      for (let c = 0; c < SIDE; c++) out[o + r * SIDE + c] = split.x[o + (SIDE - 1 - c) * SIDE + r]!;
  }
  return out;
}

/** `n` images of uniform noise in [0, 1), from `seed`. */
export function noiseImages(n: number, seed: number): Float32Array {
  const rand = uniformGenerator(seed);
  return Float32Array.from({ length: n * SIDE * SIDE }, rand);
}
