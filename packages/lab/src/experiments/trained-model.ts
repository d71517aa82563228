/**
 * A trained run's classifier rebuilt from its directory, for evaluations after training (an
 * experiment's report section): the task of its config.json (its data loaded, the same slices),
 * the weights of its best validation epoch from the last checkpoint (those its test score was
 * taken with; the last epoch's when the checkpoint holds no best snapshot), and the model as a
 * tf.LayersModel (../model/layers-model.ts) for code that takes one, such as rl.inference.mcPredict.
 */
import type * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors.js';
import { layersModelOf } from '../model/layers-model.js';
import { readCheckpointFile } from '../store/checkpoint-file.js';
import { readJson, runPaths } from '../store/run-dir.js';
import { restoreWeights } from '../train/training-state.js';
import { buildMnistTask } from './build-task.js';
import { type MnistConfig, validateConfig } from './config.js';
import type { MnistTask } from './mnist-task.js';
import { modelInput } from './model-specs.js';

export interface TrainedClassifier {
  config: MnistConfig;
  /** The task, holding the data slices and the model's layers. */
  task: MnistTask;
  /** The task's layers as one model (shares their weights). */
  model: tf.LayersModel;
  /** Frees the weights. */
  dispose(): void;
}

/** The classifier trained in `runDir` (an mnist-family run with a checkpoint). */
export async function loadTrainedClassifier(runDir: string): Promise<TrainedClassifier> {
  const paths = runPaths(runDir);
  const config = validateConfig(readJson(paths.config), paths.config);
  if (config.experiment === 'charlm' || config.experiment === 'wordlm') {
    throw new ConfigError(`${runDir}: a ${config.experiment} run is not a classifier of images`);
  }
  const mnist = config as MnistConfig;
  const { tensors } = readCheckpointFile(paths.checkpoint);
  const task = await buildMnistTask(mnist);
  try {
    const best = [...tensors.keys()].some((k) => k.startsWith('best/'));
    restoreWeights(task.layers, tensors, best ? 'best' : 'weights');
  } catch (e) {
    task.dispose();
    throw e;
  }
  const model = layersModelOf(task.model, modelInput(mnist.experiment, mnist));
  return { config: mnist, task, model, dispose: () => task.dispose() };
}
