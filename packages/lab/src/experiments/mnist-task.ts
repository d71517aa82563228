/**
 * MNIST classifiers. Sequential and permuted MNIST (`smnist`, `pmnist`): by default an LSTM reads
 * an image as a sequence of 784 / p steps of p pixels (`--pixels-per-step p`; p = 1 is the
 * papers' task, in raster order for smnist and in one fixed seeded permutation for pmnist) and a
 * dense softmax layer classifies its last hidden state. `mnist`: the model takes the flat 784
 * pixels (an MLP by default; `--model cnn` reshapes them to a 28×28×1 image first).
 *
 *     h_T = LSTM_L(… LSTM_1(x_1 … x_T)),  p(y | x) = softmax(W h_T + b)
 *
 * The model is the run's spec (./model-specs.ts) with `"$classes"` set to 10 and `"$examples"` to
 * the number of training images.
 *
 * Shapes: a batch x [b, 784] → [b, T = 784/p, p] (smnist, pmnist) or [b, 784] (mnist) →
 * logits [b, 10]. The batch order of epoch e is
 * `shuffledIndices(n, seed, e)` (a pure function of (seed, epoch)); evaluation keeps the stored order.
 * The train row is the mean loss and accuracy over the epoch's batches, with regularizers active.
 * `--bn-statistics population` (smnist, pmnist): before the final evaluation, recurrent batch
 * norm's per-step statistics are recomputed over the training images in batches of `--batch`.
 */
import * as tf from '@tensorflow/tfjs';
import * as rl from 'regulab';
import { type BatchSequence, classificationBatches } from '../datasets/classification-batching.js';
import type { ImageDataset, ImageSplit } from '../datasets/types.js';
import { ConfigError } from '../errors.js';
import { SpecModel } from '../model/spec-model.js';
import { fillTaskValues } from '../model/task-values.js';
import { createProbes } from '../probes/index.js';
import type { TrainingProbe } from '../train/probe.js';
import type { NormStatisticsPass, SplitScore, TrainingTask } from '../train/task.js';
import type { MnistConfig } from './config.js';
import { sparseCrossEntropy } from './lm-model.js';
import { modelInput } from './model-specs.js';

const EVAL_BATCH = 256;
/** Examples in the probes' fixed batch (the first ones of the training slice). */
const PROBE_BATCH = 256;

export class MnistTask implements TrainingTask {
  readonly metric = 'accuracy' as const;
  readonly model: SpecModel;
  readonly probes: TrainingProbe[];
  private readonly config: MnistConfig;
  private readonly splits: { train: ImageSplit; valid: ImageSplit; test: ImageSplit };
  /** The shape of one example as the model takes it. */
  private readonly exampleShape: number[];
  private batches: BatchSequence | undefined;
  private current = { size: 0, correct: null as tf.Scalar | null };
  private sums = { loss: 0, correct: 0, count: 0 };

  constructor(config: MnistConfig, data: ImageDataset) {
    this.config = config;
    const limit = (s: ImageSplit, n: number, flag: string): ImageSplit => {
      if (n > s.count) throw new ConfigError(`${flag} ${n}: the split has only ${s.count} images (0: all)`);
      return n > 0 && n < s.count ? firstRows(s, n) : s;
    };
    this.splits = {
      train: limit(data.train, config.trainExamples, '--train-examples'),
      valid: limit(data.valid, config.evalExamples, '--eval-examples'),
      test: limit(data.test, config.evalExamples, '--eval-examples'),
    };
    const input = modelInput(config.experiment, config);
    this.exampleShape = input.shape;
    this.model = new SpecModel(
      fillTaskValues(config.spec, {
        classes: data.numClasses,
        examples: this.splits.train.count,
      }),
      {
        seed: config.seed,
        input,
      },
    );
    const out = this.model.outputShape;
    if (out.length !== 2 || out[1] !== data.numClasses) {
      throw new ConfigError(
        `model spec: a classifier maps each example to ${data.numClasses} logits ("units": "$classes" on the last layer), but this one gives [${out.join(', ')}] for one example`,
      );
    }
    this.probes = createProbes(config.probe, {
      model: this.model,
      seed: config.seed,
      probeBatch: () => {
        const s = firstRows(this.splits.train, Math.min(PROBE_BATCH, this.splits.train.count));
        return {
          input: tf.tensor(s.x, [s.count, ...this.exampleShape]), // [n, …example]
          labels: tf.tensor1d(s.y, 'int32'), // [n]
        };
      },
    });
  }

  /** The images of `split` the task trains or scores on (the slices its options chose). */
  images(split: 'train' | 'valid' | 'test'): ImageSplit {
    return this.splits[split];
  }

  get layers(): tf.layers.Layer[] {
    return this.model.layers;
  }

  beginEpoch(epoch: number): number {
    const { batch, seed } = this.config;
    this.batches = classificationBatches(this.splits.train, { batchSize: batch, seed, epoch });
    this.sums = { loss: 0, correct: 0, count: 0 };
    return this.batches.count;
  }

  batchLoss(index: number): tf.Scalar {
    const b = this.batches!.batch(index);
    const logits = this.logits(b.x, b.size, true); // [b, 10]
    const labels = tf.tensor1d(b.y, 'int32');
    this.current = { size: b.size, correct: tf.keep(correctCount(logits, labels)) };
    const loss = sparseCrossEntropy(logits, labels);
    const penalty = this.model.regularizationLoss(); // weight penalties, AR/TAR, norm stabilizer
    return penalty ? tf.add(loss, penalty) : loss;
  }

  endBatch(loss: number): void {
    this.sums.loss += loss * this.current.size;
    this.sums.count += this.current.size;
    this.sums.correct += this.current.correct!.dataSync()[0]!;
    this.current.correct!.dispose();
  }

  trainScore(): SplitScore {
    return { loss: this.sums.loss / this.sums.count, metric: this.sums.correct / this.sums.count };
  }

  async evaluate(
    split: 'valid' | 'test',
    tick?: (done: number, total: number) => void | Promise<void>,
  ): Promise<SplitScore> {
    const batches = classificationBatches(this.splits[split], {
      batchSize: EVAL_BATCH,
      seed: 0,
      epoch: 0,
      shuffle: false,
    });
    let loss = 0;
    let correct = 0;
    let count = 0;
    for (const b of batches) {
      const [l, c] = tf.tidy(() => {
        const logits = this.logits(b.x, b.size, false);
        const labels = tf.tensor1d(b.y, 'int32');
        return [
          sparseCrossEntropy(logits, labels).dataSync()[0]!,
          correctCount(logits, labels).dataSync()[0]!,
        ];
      });
      loss += l * b.size;
      correct += c;
      count += b.size;
      await tick?.(b.index + 1, batches.count);
    }
    return { loss: loss / count, metric: correct / count };
  }

  recomputeNormStatistics(): NormStatisticsPass | null {
    const wanted = 'bnStatistics' in this.config && this.config.bnStatistics === 'population';
    const normalized = this.layers.some((l) => (l as { normalization?: unknown }).normalization === 'batch');
    if (!wanted || !normalized) return null;
    const s = this.splits.train;
    const images = tf.tensor(s.x, [s.count, ...this.exampleShape]); // [n, T, p]
    try {
      const model = {
        name: this.config.experiment,
        layers: this.model.layers,
        predict: ([x]: tf.Tensor[]) => this.model.forward(x!, undefined, false).output,
      };
      const done = rl.inference.recomputeBatchNormStatistics(model, images, { batchSize: this.config.batch });
      return { layers: done.layers, examples: done.examples };
    } finally {
      images.dispose();
    }
  }

  dispose(): void {
    for (const p of this.probes) p.dispose?.();
    this.current.correct?.dispose();
    for (const layer of this.layers) for (const w of layer.weights) w.dispose();
  }

  private logits(x: Float32Array, size: number, training: boolean): tf.Tensor2D {
    const images = tf.tensor(x, [size, ...this.exampleShape]); // [b, T, p] or [b, 784]
    return this.model.forward(images, undefined, training).output as tf.Tensor2D; // [b, 10]
  }
}

function correctCount(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32')) as tf.Scalar);
}

function firstRows(s: ImageSplit, n: number): ImageSplit {
  const features = s.x.length / s.count;
  return { x: s.x.subarray(0, n * features), y: s.y.subarray(0, n), count: n };
}
