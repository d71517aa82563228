/**
 * The trainer with a tiny synthetic task: a NaN loss after a completed epoch stops the run with an
 * error that says where it happened, keeps the last good checkpoint (epoch 1) untouched, and leaves
 * only that epoch's metrics.
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { InterruptedError, RunFailedError } from '../src/errors.js';
import { readCheckpointFile } from '../src/store/checkpoint-file.js';
import { readMetrics } from '../src/store/metrics-log.js';
import { runPaths } from '../src/store/run-dir.js';
import { makeOptimizer } from '../src/train/optimizer.js';
import type { TrainingTask } from '../src/train/task.js';
import { train, type CheckpointMeta } from '../src/train/trainer.js';

/** y = w·x fitted by squared error; batch `poison` of epoch `poisonEpoch` has a NaN loss. */
function syntheticTask(poisonEpoch: number, poison: number): TrainingTask {
  const dense = tf.layers.dense({ units: 1, inputShape: [2], kernelInitializer: 'zeros', name: 'lin' });
  dense.apply(tf.zeros([1, 2]));
  const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
  const y = tf.tensor2d([1, 2, 3], [3, 1]);
  let epoch = 0;
  let sum = 0;
  let n = 0;
  return {
    metric: 'bpc',
    layers: [dense],
    beginEpoch(e) {
      epoch = e;
      sum = n = 0;
      return 3;
    },
    batchLoss(i) {
      const mse = tf.mean(tf.square(tf.sub(dense.apply(x) as tf.Tensor, y))) as tf.Scalar;
      return epoch === poisonEpoch && i === poison ? (tf.add(mse, NaN) as tf.Scalar) : mse;
    },
    endBatch(loss) {
      sum += loss;
      n += 1;
    },
    trainScore: () => ({ loss: sum / n, metric: sum / n / Math.LN2 }),
    evaluate: async () => {
      const loss = tf.tidy(() => tf.mean(tf.square(tf.sub(dense.apply(x) as tf.Tensor, y))).dataSync()[0]!);
      return { loss, metric: loss / Math.LN2 };
    },
    dispose: () => tf.dispose([x, y]),
  };
}

describe('trainer: NaN loss', () => {
  it('stops with a clear error and keeps the last good checkpoint', async () => {
    const paths = runPaths(mkdtempSync(join(tmpdir(), 'regulab-nan-')));
    mkdirSync(join(paths.dir, 'checkpoints'));
    const task = syntheticTask(2, 1);
    const optimizer = makeOptimizer({ optimizer: 'adam', lr: 0.01, clip: 1, weightDecay: 0 });
    const quiet = { start() {}, update() {}, stop() {} };
    // The checkpoint as it was when epoch 2 began (written at the end of epoch 1).
    let saved: Buffer | undefined;
    const begin = task.beginEpoch.bind(task);
    task.beginEpoch = (e) => {
      if (e === 2) saved = readFileSync(paths.checkpoint);
      return begin(e);
    };
    const run = train(task, optimizer, { paths, maxEpochs: 5, patience: 0, progress: quiet });
    await expect(run).rejects.toThrow(RunFailedError);
    await expect(run).rejects.toThrow(
      /^epoch 2, batch 2\/3: the training loss is NaN; training stopped .* The checkpoint of epoch 1 is kept in .*last\.ckpt\.$/,
    );
    const ckpt = readCheckpointFile<CheckpointMeta>(paths.checkpoint);
    expect(ckpt.meta.epoch).toBe(1);
    expect(ckpt.meta.finished).toBe(false);
    expect(readFileSync(paths.checkpoint)).toEqual(saved); // the epoch-1 file, not rewritten since
    expect(readMetrics(paths.metrics).map((r) => [r.epoch, r.split])).toEqual([
      [1, 'train'],
      [1, 'valid'],
      [1, 'test'],
    ]);
    // The weights in the checkpoint are finite (the NaN step was never applied).
    for (const t of ckpt.tensors.values()) expect(Array.from(t.data).every(Number.isFinite)).toBe(true);
    task.dispose();
  });
});

describe('trainer: Ctrl-C during evaluation', () => {
  it('stops after the current evaluation batch, keeping the last checkpoint', async () => {
    // The interrupt flag is raised inside the validation pass of epoch 2 (after its batch 2 of
    // 50); the trainer's check after each evaluation batch must stop it there.
    const paths = runPaths(mkdtempSync(join(tmpdir(), 'regulab-eval-int-')));
    mkdirSync(join(paths.dir, 'checkpoints'));
    const task = syntheticTask(0, -1);
    let epoch = 0;
    const begin = task.beginEpoch.bind(task);
    task.beginEpoch = (e) => {
      epoch = e;
      return begin(e);
    };
    let flagged = false;
    let evaluated = 0;
    task.evaluate = async (split, tick) => {
      for (let b = 1; b <= 50; b++) {
        evaluated += 1;
        if (epoch === 2 && split === 'valid' && b === 2) flagged = true;
        await tick?.(b, 50);
      }
      return { loss: 1, metric: 1 / Math.LN2 };
    };
    const optimizer = makeOptimizer({ optimizer: 'adam', lr: 0.01, clip: 1, weightDecay: 0 });
    const quiet = { start() {}, update() {}, stop() {} };
    const run = train(task, optimizer, {
      paths,
      maxEpochs: 5,
      patience: 0,
      progress: quiet,
      interrupted: () => flagged,
    });
    await expect(run).rejects.toThrow(InterruptedError);
    // Epoch 1: valid and test, 50 batches each; epoch 2: stopped after its second valid batch.
    expect(evaluated).toBe(100 + 2);
    expect(readCheckpointFile<CheckpointMeta>(paths.checkpoint).meta.epoch).toBe(1);
    task.dispose();
  });
});
