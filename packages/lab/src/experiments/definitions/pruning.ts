/**
 * Magnitude pruning of a finished mnist run: its kept weights (the best validation epoch's,
 * ./seed-values.ts keptWeights) loaded into the model its config.json builds, every entry of a
 * 2-D weight (a Dense kernel [in, out]) with |w| < ratio · max|w| of its own kernel set to 0,
 *
 *   w ← w · 1[|w| ≥ ratio · max|w_layer|],
 *
 * and the test split scored again (inference mode, as the trainer scores it). Ratio 0 prunes
 * nothing: it gives the run's own test accuracy at its best epoch.
 */
import * as tf from '@tensorflow/tfjs';
import { loadMnist } from '../../datasets/mnist.js';
import type { ImageDataset } from '../../datasets/types.js';
import { readJson, runPaths } from '../../store/run-dir.js';
import { restoreWeights } from '../../train/training-state.js';
import { type MnistConfig, validateConfig } from '../config.js';
import { MnistTask } from '../mnist-task.js';
import { keptWeights } from './seed-values.js';

/** Test accuracy of the run in `dir` after pruning at each of `ratios`, or null without weights. */
export async function prunedTestAccuracy(
  dir: string,
  ratios: readonly number[],
  data: (source: string) => Promise<ImageDataset>,
): Promise<number[] | null> {
  const paths = runPaths(dir);
  const weights = keptWeights(paths);
  if (weights === null) return null;
  const config = validateConfig(readJson(paths.config), paths.config) as MnistConfig;
  if (config.experiment !== 'mnist')
    throw new Error(
      `prunedTestAccuracy: ${dir} is a ${config.experiment} run; pruning reads flat mnist runs`,
    );
  const task = new MnistTask(config, await data(config.data));
  try {
    const out: number[] = [];
    for (const ratio of ratios) {
      restoreWeights(task.layers, new Map([...weights].map(([k, t]) => [`w/${k}`, t])), 'w');
      for (const layer of task.layers) {
        const pruned = layer.getWeights().map((w) =>
          tf.tidy(() => {
            if (w.rank !== 2 || ratio === 0) return w.clone();
            const magnitude = tf.abs(w); // [in, out]
            return tf.mul(w, tf.cast(tf.greaterEqual(magnitude, tf.mul(tf.max(magnitude), ratio)), w.dtype));
          }),
        );
        layer.setWeights(pruned);
        tf.dispose(pruned);
      }
      out.push((await task.evaluate('test')).metric);
    }
    return out;
  } finally {
    task.dispose();
  }
}

/**
 * The flat mnist data of a run's `data` option ('mnist': the embedded digits, else an IDX
 * directory), each source loaded once per loader.
 */
export function flatMnistLoader(): (source: string) => Promise<ImageDataset> {
  const loaded = new Map<string, Promise<ImageDataset>>();
  return (source) => {
    if (!loaded.has(source))
      loaded.set(source, loadMnist({ variant: 'flat', dir: source === 'mnist' ? undefined : source }));
    return loaded.get(source)!;
  };
}
