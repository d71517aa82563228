/**
 * Monte Carlo dropout on one trained character model (issue 16's `mc-dropout-charlm` experiment):
 * its best-epoch weights (../trained-model.ts) scored by ./mc-scores.ts on windows of the run's
 * test slice. The slice (its first `evalTokens` characters) is cut into consecutive,
 * non-overlapping windows of T + 1 characters (T = the run's `seqLen`; the rest dropped); each
 * window is read from the zero state, its first T characters the input and each of the next T
 * the target, so a window gives T predictions of the next character — by the deterministic
 * model (dropout off) and by the mean of S Monte Carlo samples, the recurrent masks drawn once
 * per window (Gal & Ghahramani, NeurIPS 2016). Unlike the run's own test score (the state carried
 * across windows) every window starts cold, so the NLL here is higher than the run's test bpc;
 * both predictors see the same windows.
 *
 * Out-of-distribution sets, one item per window (its score the mean over its T predictions):
 * `shuffled`, each test window's input characters in a seeded random order (the same characters,
 * no word or spelling structure), and `reversed`, each window read backwards (the same characters
 * and bigram pairs, reversed order).
 *
 * Shapes: windows [W, T] ids → logits [W, T, V]; predictions [W·T, V]; entropy and MI [W·T].
 */
import * as tf from '@tensorflow/tfjs';
import * as rl from 'regulab';
import { takeFirst } from '../../datasets/lm-batching.js';
import { mixSeeds, uniformGenerator } from '../../datasets/seeded-random.js';
import type { TokenIds } from '../../datasets/types.js';
import { ConfigError } from '../../errors.js';
import { loadTrainedLm } from '../trained-model.js';
import { type McEvaluation, type McEvaluationOptions, type McOutputs, scoreMc } from './mc-scores.js';

export const CHARLM_OOD_SETS = ['shuffled', 'reversed'] as const;

/** Rows (windows × samples) per predict call. */
const BATCH_SIZE = 1024;
const SHUFFLE_TAG = 0x5f1e;

/** The test windows: inputs [W, T] and the targets [W·T] (see the module doc). */
export function testWindows(
  ids: TokenIds,
  length: number,
): { inputs: Int32Array; targets: Int32Array; count: number } {
  const count = Math.floor(ids.length / (length + 1));
  if (count < 2)
    throw new ConfigError(`the test slice has ${ids.length} tokens, too few for 2 windows of ${length + 1}`);
  const inputs = new Int32Array(count * length);
  const targets = new Int32Array(count * length);
  for (let w = 0; w < count; w++) {
    for (let t = 0; t < length; t++) {
      inputs[w * length + t] = ids[w * (length + 1) + t]!;
      targets[w * length + t] = ids[w * (length + 1) + t + 1]!;
    }
  }
  return { inputs, targets, count };
}

/** Each window of `inputs` [W, T] in a random order (Fisher–Yates, seeded per window). */
export function shuffleWindows(inputs: Int32Array, length: number, seed: number): Int32Array {
  const out = Int32Array.from(inputs);
  for (let w = 0; w < out.length / length; w++) {
    const rand = uniformGenerator(mixSeeds(seed, w, SHUFFLE_TAG));
    const row = out.subarray(w * length, (w + 1) * length);
    for (let i = length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [row[i], row[j]] = [row[j]!, row[i]!];
    }
  }
  return out;
}

/** Each window of `inputs` [W, T] read backwards. */
export function reverseWindows(inputs: Int32Array, length: number): Int32Array {
  const out = new Int32Array(inputs.length);
  for (let w = 0; w < inputs.length / length; w++)
    for (let t = 0; t < length; t++) out[w * length + t] = inputs[w * length + length - 1 - t]!;
  return out;
}

/** Evaluates the character model trained in `runDir`; `done` counts its forward passes (scoreMc). */
export async function evaluateCharlmMc(
  runDir: string,
  opts: McEvaluationOptions,
  done?: (passes: number) => void,
): Promise<McEvaluation> {
  const trained = await loadTrainedLm(runDir);
  try {
    const { config, corpus } = trained;
    const T = config.seqLen;
    const test = config.evalTokens > 0 ? takeFirst(corpus.test, config.evalTokens) : corpus.test;
    const windows = testWindows(test, T);
    const W = windows.count;
    const V = corpus.vocab.size;
    const model = trained.windowModel(T);
    const deterministic = (x: Int32Array) =>
      tf.tidy(() => {
        const logits = model.predict(tf.tensor2d(x, [W, T], 'int32')) as tf.Tensor; // [W, T, V]
        return tf.softmax(logits).dataSync() as Float32Array; // [W·T, V]
      });
    const mc = (x: Int32Array, samples: number): McOutputs => {
      const input = tf.tensor2d(x, [W, T], 'int32'); // [W, T]
      const r = rl.inference.mcPredict(model, input, {
        samples,
        seed: opts.seed,
        batchSize: BATCH_SIZE,
        output: 'logits',
      });
      const out = {
        mean: r.mean.dataSync() as Float32Array, // [W·T, V]
        entropy: r.entropy!.dataSync() as Float32Array, // [W·T]
        mi: r.mutualInformation!.dataSync() as Float32Array, // [W·T]
      };
      tf.dispose([input, r.mean, r.variance, r.entropy!, r.mutualInformation!]);
      return out;
    };
    const ood: Record<(typeof CHARLM_OOD_SETS)[number], Int32Array> = {
      shuffled: shuffleWindows(windows.inputs, T, opts.seed),
      reversed: reverseWindows(windows.inputs, T),
    };
    return scoreMc(
      {
        test: windows.inputs,
        ood,
        labels: windows.targets,
        classes: V,
        predictionsPerItem: T,
        deterministic,
        mc,
        done,
      },
      opts,
    );
  } finally {
    trained.dispose();
  }
}
