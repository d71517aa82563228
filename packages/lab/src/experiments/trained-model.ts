/**
 * A trained run's classifier rebuilt from its directory, for evaluations after training (an
 * experiment's report section): the task of its config.json (its data loaded, the same slices),
 * the weights of its best validation epoch from the last checkpoint (those its test score was
 * taken with; the last epoch's when the checkpoint holds no best snapshot), and the model as a
 * tf.LayersModel (../model/layers-model.ts) for code that takes one, such as rl.inference.mcPredict.
 * The same for a language model (`loadTrainedLm`): its corpus and its model, as a tf.LayersModel
 * over windows of a given length that each start from the zero state.
 */
import type * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors.js';
import { layersModelOf } from '../model/layers-model.js';
import { readCheckpointFile } from '../store/checkpoint-file.js';
import { readJson, runPaths } from '../store/run-dir.js';
import { restoreWeights } from '../train/training-state.js';
import { loadTextCorpus } from '../datasets/load-text-corpus.js';
import type { TextCorpus } from '../datasets/types.js';
import { buildMnistTask } from './build-task.js';
import { type LmConfig, type MnistConfig, validateConfig } from './config.js';
import { LmTask } from './lm-task.js';
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

/** Restores the best-epoch weights (else the last) of the checkpoint in `paths` into `layers`. */
function restoreBest(layers: tf.layers.Layer[], checkpoint: string): void {
  const { tensors } = readCheckpointFile(checkpoint);
  const best = [...tensors.keys()].some((k) => k.startsWith('best/'));
  restoreWeights(layers, tensors, best ? 'best' : 'weights');
}

/** The classifier trained in `runDir` (an mnist-family run with a checkpoint). */
export async function loadTrainedClassifier(runDir: string): Promise<TrainedClassifier> {
  const paths = runPaths(runDir);
  const config = validateConfig(readJson(paths.config), paths.config);
  if (config.experiment === 'charlm' || config.experiment === 'wordlm') {
    throw new ConfigError(`${runDir}: a ${config.experiment} run is not a classifier of images`);
  }
  const mnist = config as MnistConfig;
  const task = await buildMnistTask(mnist);
  try {
    restoreBest(task.layers, paths.checkpoint);
  } catch (e) {
    task.dispose();
    throw e;
  }
  const model = layersModelOf(task.model, modelInput(mnist.experiment, mnist));
  return { config: mnist, task, model, dispose: () => task.dispose() };
}

export interface TrainedLm {
  config: LmConfig;
  corpus: TextCorpus;
  /** The task, holding the model's layers (LmTask.model: forward with a carried state). */
  task: LmTask;
  /** The layers as one model over windows of `length` ids [B, length] → logits [B, length, V]. */
  windowModel(length: number): tf.LayersModel;
  /** Frees the weights. */
  dispose(): void;
}

/** The language model trained in `runDir` (a charlm or wordlm run with a checkpoint). */
export async function loadTrainedLm(runDir: string): Promise<TrainedLm> {
  const paths = runPaths(runDir);
  const config = validateConfig(readJson(paths.config), paths.config);
  if (config.experiment !== 'charlm' && config.experiment !== 'wordlm') {
    throw new ConfigError(`${runDir}: a ${config.experiment} run is not a language model`);
  }
  const lm = config as LmConfig;
  const corpus = await loadTextCorpus(
    lm.data,
    lm.experiment === 'charlm' ? 'char' : 'word',
    'minCount' in lm ? { minCount: lm.minCount } : {},
  );
  const task = new LmTask(lm, corpus);
  try {
    restoreBest(task.layers, paths.checkpoint);
  } catch (e) {
    task.dispose();
    throw e;
  }
  return {
    config: lm,
    corpus,
    task,
    windowModel: (length) => layersModelOf(task.model.model, { shape: [length], dtype: 'int32' }),
    dispose: () => task.dispose(),
  };
}
