/**
 * `rl.inference.recomputeBatchNormStatistics`: exact per-step population statistics for the
 * recurrent batch norm of rl.layers.lstm / gru (`normalization: 'batch'`), recomputed from data
 * after training instead of the momentum averages that training leaves.
 */
import * as tf from '@tensorflow/tfjs';
import { RecurrentLayer } from '../layers/recurrent/recurrent-layer.js';
import { PopulationStatistics } from '../layers/recurrent/population-statistics.js';
import { SeedStream } from '../random/seed-stream.js';
import { checkPositiveInt, RegulabConfigError } from '../util/validate.js';
import { allLayers } from './model-layers.js';
import { samplingActive } from './sampling-context.js';

const OWNER = 'rl.inference.recomputeBatchNormStatistics';

/** Examples per forward pass when `batchSize` is not given (tfjs's `fit` default). */
export const DEFAULT_STATISTICS_BATCH_SIZE = 32;

export interface BatchNormStatisticsOptions {
  /**
   * Examples per forward pass, a positive integer; default 32. A step's quantities depend on the
   * earlier steps, which the pass normalises with their batch's statistics as training does: the
   * training batch size reproduces the statistics training saw.
   */
  batchSize?: number;
}

/**
 * A model that is not a tf.LayersModel (e.g. a hand-written forward over layers): its layers,
 * searched as a LayersModel's are, and its inference forward of one batch.
 */
export interface InferenceForward {
  readonly name?: string;
  readonly layers: readonly tf.layers.Layer[];
  /**
   * Runs the model on one batch with `training` false for every layer (one tensor per input);
   * whatever it returns is dropped (it runs inside a tf.tidy).
   */
  predict(x: tf.Tensor[]): unknown;
}

export interface BatchNormStatisticsResult {
  /** The names of the layers whose moving statistics were rewritten, in model order. */
  layers: string[];
  /** Examples pooled (the batch size of `x`). */
  examples: number;
  /** Forward passes run. */
  batches: number;
}

/**
 * Recomputes the population statistics of every batch-normalized recurrent layer of `model`
 * (Cooijmans et al. 2017, "Recurrent Batch Normalization", ICLR, §3: at inference, population
 * statistics estimated separately for each time step; steps past the last estimated one use it).
 *
 * Training moves each step's statistics by m_k ← μ·m_k + (1 − μ)·stat_k (μ = `normMomentum`,
 * 0.99 by default), so after a short run they still carry their initial values (0 and 1) and the
 * statistics of early, different weights. This pass replaces them by the exact statistics of the
 * current weights over `x`: the model runs forward over `x` in batches of `batchSize`, each such
 * layer normalising with its batch's per-step statistics as in training, and per step k and
 * feature the pass pools, over all N examples of `x` (./population-statistics.ts):
 *
 *   m_k = (1/N) Σ_i v_k,i,   s²_k = (1/N) Σ_i (v_k,i − m_k)²
 *
 * (v: the quantity normalised, W·x_t, U·h_{t−1} or the LSTM's cell), i.e. the mean of the batch
 * means weighted by batch size, and the population variance over all examples: the within-batch
 * (biased) variances the kernels normalise with plus the spread of the batch means. Not Ioffe and
 * Szegedy's average of unbiased batch variances (m/(m−1)·E[σ²_B], which Cooijmans et al. inherit
 * through their running averages): the pooled variance is the variance of exactly the data given,
 * independent of how it is batched up to the batch-composition effect on later steps, and with one
 * batch holding all of `x` the inference forward then reproduces the training-mode forward on `x`
 * exactly; the two estimates differ by O(1/m) of σ² for batches of m.
 *
 * Everything but batch norm behaves as at inference: no dropout or weight-drop masks, zoneout as
 * configured for inference (a stochastic one draws from the layer's stream, which is then rewound),
 * so the statistics describe the quantities inference will normalise (dropout left on would shift
 * the variance that inference sees: Li et al. 2019, "Understanding the Disharmony between Dropout
 * and Batch Normalization by Variance Shift"). Every batch-normalized layer uses batch statistics
 * during the pass, as in a training step. Padded steps count, as in training.
 *
 * Changes nothing else: rows 0..K−1 (K = min(T, maxSteps)) of each moving mean and variance are
 * written, once, after the last batch; no other weight, no seed stream (each layer's `seeds.state`
 * is restored), no penalty is queued (every call is an inference call). Idempotent: the pass
 * never reads the moving statistics, so running it twice writes the same values. Works whichever
 * op runs the layers (the fused native/wasm kernels, which return each step's batch statistics,
 * or the tfjs reference op's norm hooks).
 *
 * `model` is a tf.LayersModel (run with `predict`) or any { layers, predict } (InferenceForward,
 * e.g. a hand-written forward over layers). Shapes: x [N, ...] as the model's input (or one such
 * tensor per model input). Errors: no
 * recurrent layer with normalization 'batch', a stateful layer (its states would carry between
 * batches), inputs that do not fit the model, batchSize not a positive integer, a call inside
 * rl.inference's sampling context. Synchronous.
 */
export function recomputeBatchNormStatistics(
  model: tf.LayersModel | InferenceForward,
  x: tf.Tensor | tf.Tensor[],
  options: BatchNormStatisticsOptions = {},
): BatchNormStatisticsResult {
  if (model == null || typeof model.predict !== 'function' || !Array.isArray(model.layers)) {
    throw new RegulabConfigError(
      `${OWNER}: expects a tf.LayersModel (tf.sequential or tf.model) or { layers, predict } as its first argument, got ${String(model)}`,
    );
  }
  if (options == null || typeof options !== 'object') {
    throw new RegulabConfigError(
      `${OWNER}: options must be an object { batchSize? }, got ${String(options)}`,
    );
  }
  const batchSize =
    options.batchSize == null
      ? DEFAULT_STATISTICS_BATCH_SIZE
      : checkPositiveInt(OWNER, 'batchSize', options.batchSize);
  if (samplingActive()) {
    throw new RegulabConfigError(
      `${OWNER}: called inside rl.inference's sampling context (withSampling); call it outside`,
    );
  }
  const layers = allLayers(model);
  const normalized = layers.filter(
    (l): l is RecurrentLayer => l instanceof RecurrentLayer && l.normalization === 'batch',
  );
  if (normalized.length === 0) {
    throw new RegulabConfigError(
      `${OWNER}: model '${model.name ?? '(unnamed)'}' has no rl.layers.lstm or rl.layers.gru with normalization 'batch' (layers: ${layers.map((l) => `'${l.name}'`).join(', ')})`,
    );
  }
  const stateful = layers.find((l) => (l as { stateful?: boolean }).stateful === true);
  if (stateful) {
    throw new RegulabConfigError(
      `${OWNER}: layer '${stateful.name}' is stateful: its states would carry from one batch to the next; run the pass on a copy built with stateful: false`,
    );
  }
  const inputs = checkInputs(model, x);
  const examples = inputs[0]!.shape[0]!;

  const streams = layers
    .map((l) => (l as { seeds?: unknown }).seeds)
    .filter((s): s is SeedStream => s instanceof SeedStream);
  const counters = streams.map((s) => s.state);
  const pools = normalized.map((l) => {
    const weights = l.normWeights;
    if (weights === null) {
      throw new RegulabConfigError(`${OWNER}: layer '${l.name}' is not built; build or call the model first`);
    }
    return new PopulationStatistics(`${OWNER} '${l.name}'`, weights);
  });
  let batches = 0;
  try {
    normalized.forEach((l, i) => {
      l.statisticsSink = (stats, batch) => pools[i]!.add(stats, batch);
    });
    for (let start = 0; start < examples; start += batchSize) {
      const size = Math.min(batchSize, examples - start);
      tf.tidy(() => {
        const part = inputs.map((t) => (size === examples ? t : tf.slice(t, start, size)));
        if (model instanceof tf.LayersModel)
          model.predict(part.length === 1 ? part[0]! : part, { batchSize: size });
        else model.predict(part);
      });
      batches += 1;
    }
    pools.forEach((p) => p.write());
  } finally {
    for (const l of normalized) l.statisticsSink = null;
    for (const p of pools) p.dispose();
    streams.forEach((s, i) => s.restore(counters[i]!));
  }
  return { layers: normalized.map((l) => l.name), examples, batches };
}

/**
 * The inputs as a list, each [N, ...]: for a tf.LayersModel one per model input, with its known
 * sizes; for an InferenceForward, tensors of one batch size (its forward checks the rest).
 */
function checkInputs(model: tf.LayersModel | InferenceForward, x: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  const list = Array.isArray(x) ? x : [x];
  const shapeOf = (t: tf.Tensor) => `[${t.shape.join(', ')}]`;
  const count = model instanceof tf.LayersModel ? model.inputs.length : list.length;
  if (
    list.length === 0 ||
    list.length !== count ||
    !list.every((t) => t instanceof tf.Tensor && t.rank >= 1)
  ) {
    throw new RegulabConfigError(
      `${OWNER}: x must be ${count === 1 ? 'a tensor' : `an array of ${count} tensors`} [N, ...], one per model input, got ${Array.isArray(x) ? `${x.length} value(s)` : String(x)}`,
    );
  }
  if (model instanceof tf.LayersModel) checkShapes(model, list);
  const n = list[0]!.shape[0]!;
  if (n === 0 || list.some((t) => t.shape[0] !== n)) {
    throw new RegulabConfigError(
      `${OWNER}: the inputs must share a batch size ≥ 1, got ${list.map(shapeOf).join(', ')}`,
    );
  }
  return list;
}

/** Each input has its model input's rank and known sizes. */
function checkShapes(model: tf.LayersModel, list: tf.Tensor[]): void {
  list.forEach((t, i) => {
    const expected = model.inputs[i]!.shape; // [null, ...]
    const fits =
      t.rank === expected.length &&
      expected.every((d, axis) => axis === 0 || d == null || d === t.shape[axis]);
    if (!fits) {
      throw new RegulabConfigError(
        `${OWNER}: x${list.length > 1 ? `[${i}]` : ''} has shape [${t.shape.join(', ')}], the model's input '${model.inputs[i]!.name}' is [${expected.map((d) => d ?? 'null').join(', ')}]`,
      );
    }
  });
}
