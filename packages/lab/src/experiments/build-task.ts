/**
 * The task a run's config describes, with its data loaded: what `continueRun` trains and what an
 * experiment's evaluation of trained runs (./trained-model.ts) rebuilds to load a checkpoint into.
 */
import { loadMnist } from '../datasets/mnist.js';
import { loadTextCorpus } from '../datasets/load-text-corpus.js';
import type { TrainingTask } from '../train/task.js';
import type { ExperimentConfig, LmConfig, MnistConfig } from './config.js';
import { LmTask } from './lm-task.js';
import { MnistTask } from './mnist-task.js';

export async function buildTask(config: ExperimentConfig): Promise<TrainingTask> {
  if (config.experiment === 'charlm' || config.experiment === 'wordlm') {
    const level = config.experiment === 'charlm' ? 'char' : 'word';
    const corpus = await loadTextCorpus(
      config.data,
      level,
      'minCount' in config ? { minCount: config.minCount } : {},
    );
    return new LmTask(config as LmConfig, corpus);
  }
  return buildMnistTask(config as MnistConfig);
}

/** The MNIST-family task of `config` (mnist, smnist, pmnist). */
export async function buildMnistTask(config: MnistConfig): Promise<MnistTask> {
  const data = await loadMnist({
    variant: ({ smnist: 'sequential', pmnist: 'permuted', mnist: 'flat' } as const)[config.experiment],
    permutationSeed: config.seed,
    dir: config.data === 'mnist' ? undefined : config.data,
  });
  return new MnistTask(config, data);
}
