/**
 * Sequential and permuted MNIST (`smnist`, `pmnist`): an LSTM reads an image as a sequence of
 * 784 / p steps of p pixels (`--pixels-per-step p`; p = 1 is the papers' task, in raster order for
 * smnist and in one fixed seeded permutation for pmnist) and a dense softmax layer classifies its
 * last hidden state.
 *
 *     h_T = LSTM_L(… LSTM_1(x_1 … x_T)),  p(y | x) = softmax(W h_T + b)
 *
 * Shapes: a batch x [b, 784] → [b, T = 784/p, p] → logits [b, 10]. The batch order of epoch e is
 * `shuffledIndices(n, seed, e)` (a pure function of (seed, epoch)); evaluation keeps the stored order.
 * The train row is the mean loss and accuracy over the epoch's batches, with regularizers active.
 */
import * as tf from '@tensorflow/tfjs';
import * as rl from 'regulab';
import { type BatchSequence, classificationBatches } from '../datasets/classification-batching.js';
import type { ImageDataset, ImageSplit } from '../datasets/types.js';
import { ConfigError } from '../errors.js';
import type { SplitScore, TrainingTask } from '../train/task.js';
import type { MnistConfig } from './config.js';
import { sparseCrossEntropy } from './lm-model.js';
import { lstmLayer } from './recurrent-layer.js';

const EVAL_BATCH = 256;

export class MnistTask implements TrainingTask {
  readonly metric = 'accuracy' as const;
  readonly lstms: tf.layers.Layer[];
  readonly output: tf.layers.Layer;
  private readonly config: MnistConfig;
  private readonly splits: { train: ImageSplit; valid: ImageSplit; test: ImageSplit };
  private readonly steps: number;
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
    this.steps = 784 / config.pixelsPerStep;
    const seeds = new rl.SeedStream(config.seed).fork('model');
    this.lstms = Array.from({ length: config.layers }, (_, l) =>
      lstmLayer({
        name: `lstm_${l}`,
        units: config.hidden,
        returnSequences: l < config.layers - 1,
        dropout: config.dropout,
        recurrentDropout: config.recurrentDropout,
        recurrentDropoutMode: config.recurrentDropoutMode,
        zoneoutCell: config.zoneoutCell,
        zoneoutHidden: config.zoneoutHidden,
        weightDrop: config.weightDrop,
        seed: seeds.fork(`lstm_${l}`).next(),
      }),
    );
    this.output = tf.layers.dense({
      name: 'softmax',
      units: data.numClasses,
      kernelInitializer: tf.initializers.glorotUniform({ seed: seeds.next() }),
    });
    tf.tidy(() => {
      this.logits(new Float32Array(784), 1, false);
    });
  }

  get layers(): tf.layers.Layer[] {
    return [...this.lstms, this.output];
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
    return sparseCrossEntropy(logits, labels);
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

  evaluate(split: 'valid' | 'test', tick?: (done: number, total: number) => void): SplitScore {
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
      tick?.(b.index + 1, batches.count);
    }
    return { loss: loss / count, metric: correct / count };
  }

  dispose(): void {
    this.current.correct?.dispose();
    for (const layer of this.layers) for (const w of layer.weights) w.dispose();
  }

  private logits(x: Float32Array, size: number, training: boolean): tf.Tensor2D {
    const p = this.config.pixelsPerStep;
    let h: tf.Tensor = tf.tensor3d(x, [size, this.steps, p]); // [b, T, p] → … → [b, H]
    for (const lstm of this.lstms) h = (lstm.apply(h, { training }) as tf.Tensor[])[0]!;
    return this.output.apply(h) as tf.Tensor2D; // [b, 10]
  }
}

function correctCount(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32')) as tf.Scalar);
}

function firstRows(s: ImageSplit, n: number): ImageSplit {
  const features = s.x.length / s.count;
  return { x: s.x.subarray(0, n * features), y: s.y.subarray(0, n), count: n };
}
