/**
 * Monte Carlo dropout on one trained mnist classifier (issue 16's `mc-dropout` experiment): its
 * best-epoch weights (../trained-model.ts) scored on the run's test images two ways,
 *
 *   deterministic  p = softmax(f(x))                         (dropout off: `predict`)
 *   MC mean        p̄ = (1/S) Σ_s softmax(f(x; ω_s))         (rl.inference.mcPredict, S samples)
 *
 * each by accuracy, NLL and calibration (ECE, reliability bins: ../../stats/calibration.ts); the
 * MC mean also for each S of a list (quality against the number of samples). Out-of-distribution
 * detection: the test images rotated by 90° and images of uniform noise (as many as the test
 * images, pixels in [0, 1), seeded) are the positives, the test images the negatives, and the
 * AUROC (../../stats/auroc.ts) of three uncertainty scores says how well each tells them apart:
 * the deterministic softmax's entropy H[p], the MC mean's entropy H[p̄] and the mutual information
 * H[p̄] − (1/S) Σ_s H[p_s] (BALD), all in nats.
 *
 * Shapes: test images x [n, 784] → logits [n, 10]; mcPredict's mean [n, 10], entropy and MI [n].
 */
import * as tf from '@tensorflow/tfjs';
import * as rl from 'regulab';
import { uniformGenerator } from '../../datasets/seeded-random.js';
import type { ImageSplit } from '../../datasets/types.js';
import { ConfigError } from '../../errors.js';
import { auroc, type Calibration, calibration } from '../../stats/index.js';
import { loadTrainedClassifier } from '../trained-model.js';

export const OOD_SETS = ['rotated', 'noise'] as const;
export type OodSet = (typeof OOD_SETS)[number];
export const OOD_SCORES = ['deterministic entropy', 'MC entropy', 'mutual information'] as const;
export type OodScore = (typeof OOD_SCORES)[number];

export interface McEvaluationOptions {
  /** The sample counts of the quality-against-samples curve, ascending; the last is the MC mean's S. */
  samples: readonly number[];
  /** Bins of the reliability diagram. */
  bins: number;
  /** Seed of the MC noise and of the noise images. */
  seed: number;
}

export interface McEvaluation {
  /** Test images scored. */
  n: number;
  /** S of the MC mean (the last of the options' samples). */
  samples: number;
  deterministic: Calibration;
  mc: Calibration;
  /** The MC mean with each S of the options. */
  bySamples: { samples: number; accuracy: number; nll: number; ece: number }[];
  /** AUROC of each score at telling each out-of-distribution set from the test images. */
  ood: Record<OodSet, Record<OodScore, number>>;
}

/** Rows per predict call: large, so the samples of the whole test slice run in few calls. */
const BATCH_SIZE = 2048;
const SIDE = 28;

/** Evaluates the classifier trained in `runDir` (an `mnist` run: flat 28×28 images). */
export async function evaluateMc(runDir: string, opts: McEvaluationOptions): Promise<McEvaluation> {
  const trained = await loadTrainedClassifier(runDir);
  try {
    if (trained.config.experiment !== 'mnist')
      throw new ConfigError(
        `${runDir}: MC evaluation takes flat mnist runs, not ${trained.config.experiment}`,
      );
    const test = trained.task.images('test');
    const classes = 10;
    const S = opts.samples.at(-1)!;
    const images = { test: test.x, rotated: rotate90(test), noise: noiseImages(test.count, opts.seed) };
    const det = (x: Float32Array) =>
      tf.tidy(() => {
        const logits = trained.model.predict(tf.tensor2d(x, [test.count, SIDE * SIDE])) as tf.Tensor; // [n, 10]
        return tf.softmax(logits).dataSync() as Float32Array; // [n, 10]
      });
    const mc = (x: Float32Array, samples: number) => {
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

    const detTest = det(images.test);
    const mcTest = mc(images.test, S);
    const bySamples = opts.samples.map((s) => {
      const c = calibration(s === S ? mcTest.mean : mc(images.test, s).mean, test.y, classes, opts.bins);
      return { samples: s, accuracy: c.accuracy, nll: c.nll, ece: c.ece };
    });
    const scores = (
      x: Float32Array,
      d: Float32Array,
      m: ReturnType<typeof mc>,
    ): Record<OodScore, Float32Array> => ({
      'deterministic entropy': rowEntropy(d, classes),
      'MC entropy': m.entropy,
      'mutual information': m.mi,
    });
    const inScores = scores(images.test, detTest, mcTest);
    const ood = Object.fromEntries(
      OOD_SETS.map((set) => {
        const outScores = scores(images[set], det(images[set]), mc(images[set], S));
        return [set, Object.fromEntries(OOD_SCORES.map((k) => [k, auroc(outScores[k], inScores[k])]))];
      }),
    ) as McEvaluation['ood'];
    return {
      n: test.count,
      samples: S,
      deterministic: calibration(detTest, test.y, classes, opts.bins),
      mc: calibration(mcTest.mean, test.y, classes, opts.bins),
      bySamples,
      ood,
    };
  } finally {
    trained.dispose();
  }
}

/** H[p] = −Σ_c p_c ln p_c of each row of p [n, classes], in nats (0 ln 0 = 0). */
export function rowEntropy(p: ArrayLike<number>, classes: number): Float32Array {
  const n = p.length / classes;
  const h = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      const q = p[i * classes + c]!;
      if (q > 0) sum -= q * Math.log(q);
    }
    h[i] = sum;
  }
  return h;
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
