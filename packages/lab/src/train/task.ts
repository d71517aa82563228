/**
 * What the trainer needs from an experiment: its layers (the weights to train and checkpoint), the
 * batches of an epoch, the loss of one batch, and evaluation of a split. The trainer owns the loop,
 * the optimizer, clipping, constraints, early stopping, checkpoints and metrics; a task owns data
 * and model.
 */
import type * as tf from '@tensorflow/tfjs';
import type { MetricName } from '../store/metrics-log.js';
import type { TrainingProbe } from './probe.js';

export interface SplitScore {
  /** Mean cross-entropy in nats per predicted token (or example). */
  loss: number;
  /** The task's headline metric (bpc, perplexity or accuracy). */
  metric: number;
}

export interface TrainingTask {
  readonly metric: MetricName;
  /** Every layer that owns weights, in a fixed order (the checkpoint order). */
  readonly layers: tf.layers.Layer[];
  /**
   * Starts epoch `epoch` (1-based) and returns its number of batches. The batch order is a pure
   * function of (seed, epoch), and any state carried between batches is reset here, so an epoch
   * replayed after a resume sees exactly the same data.
   */
  beginEpoch(epoch: number): number;
  /** The mean training loss of batch `index` of the current epoch (called inside tf.variableGrads). */
  batchLoss(index: number): tf.Scalar;
  /** Called after the optimizer step of a batch whose loss was `loss` (finite). */
  endBatch(loss: number): void;
  /** The training loss and metric of the current epoch, averaged over its predicted tokens/examples. */
  trainScore(): SplitScore;
  /**
   * Scores a split with the current weights, in inference mode. `tick(done, total)` is awaited
   * after each batch: it reports progress and may yield to the event loop or throw to stop (the
   * trainer's Ctrl-C check), so a long evaluation can be interrupted.
   */
  evaluate(
    split: 'valid' | 'test',
    tick?: (done: number, total: number) => void | Promise<void>,
  ): Promise<SplitScore>;
  /**
   * Called once a run has finished, before its final evaluation: recomputes recurrent batch norm's
   * per-step population statistics from the training data (rl.inference.recomputeBatchNormStatistics)
   * when the config asks for it and the model has such layers. Returns what it did, or null when
   * nothing. Absent: the task never does.
   */
  recomputeNormStatistics?(): NormStatisticsPass | null;
  /** Measurements to take while training (`--probe`, ./probe.ts); none when absent. */
  readonly probes?: readonly TrainingProbe[];
  dispose(): void;
}

/** What a task's recomputeNormStatistics did: the layers it rewrote, over how many examples. */
export interface NormStatisticsPass {
  layers: string[];
  examples: number;
}

/** bpc = loss / ln 2; perplexity = exp(loss). */
export function metricFromLoss(metric: 'bpc' | 'perplexity', loss: number): number {
  return metric === 'bpc' ? loss / Math.LN2 : Math.exp(loss);
}
