/**
 * A probe: a measurement the trainer takes while a run trains (`--probe <name>`), written to the
 * run's probes.jsonl (../store/probes-log.ts). Experiments use probes for what the metrics rows do
 * not hold: the variance of a layer's activations, the spread of gradients across minibatches, a
 * learned dropout rate. Probes live in ../probes/ (one file each, listed in ../probes/index.ts).
 *
 * When the trainer calls a probe, for each epoch e:
 *
 *   (run start, epoch 0 only)  measure → 'start' row
 *   beginEpoch(e)
 *   for each batch i: loss, gradients → observeGradients(grads, e, i) → optimizer step
 *                     → if measureAfterBatch(e, i): measure → 'batch' row
 *   evaluation → measure → 'epoch' row
 *
 * A probe must not change training: it may run the model in inference or training mode on its own
 * inputs, but it must leave weights, seed streams and moving statistics as they were (measure with
 * a probe's own seed, or read state without drawing), so a run with probes trains exactly as one
 * without. State a probe accumulates within an epoch is reset by beginEpoch (a resumed run
 * replays whole epochs).
 */
import type * as tf from '@tensorflow/tfjs';
import type { SpecModel } from '../model/spec-model.js';

export interface TrainingProbe {
  /** The probe's name (its `--probe` value and its rows' `probe`). */
  readonly name: string;
  /** Resets what the probe accumulates over an epoch. */
  beginEpoch?(epoch: number): void;
  /**
   * Sees batch `batch` (0-based) of `epoch`'s gradients, keyed by variable name, before the
   * optimizer step. The tensors are the trainer's: read them, do not keep or dispose them.
   */
  observeGradients?(grads: tf.NamedTensorMap, epoch: number, batch: number): void;
  /** Whether to measure after batch `batch` (0-based) of `epoch` (default: never). */
  measureAfterBatch?(epoch: number, batch: number): boolean;
  /** The values now (finite numbers, keyed by what they are, e.g. `layers.1/train`). */
  measure(): Record<string, number>;
  dispose?(): void;
}

/** What a probe is built from: the run's model and a fixed batch to measure on. */
export interface ProbeContext {
  model: SpecModel;
  /**
   * The same batch of the training split every time (the task's first training examples or
   * windows): `input` as the model takes it, `labels` its targets (int32). New tensors each
   * call: the caller disposes them.
   */
  probeBatch(): { input: tf.Tensor; labels: tf.Tensor };
  /** The run's seed (probes that draw masks derive their own seed from it). */
  seed: number;
}
