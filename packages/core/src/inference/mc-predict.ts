/**
 * `rl.inference.mcPredict`: Monte Carlo dropout, the predictive mean and uncertainty of a model
 * whose stochastic Regulab layers keep sampling at inference.
 */
import * as tf from '@tensorflow/tfjs';
import { SeedStream } from '../random/seed-stream.js';
import { checkSeed } from '../layers/stochastic-layer.js';
import { checkPositiveInt, RegulabConfigError } from '../util/validate.js';
import { McReduction } from './mc-reduction.js';
import { allLayers } from './model-layers.js';
import { sharesNoiseAcrossBatch, withSampling } from './sampling-context.js';

const OWNER = 'rl.inference.mcPredict';

/** What the model outputs along its last axis. */
export type McOutput = 'probabilities' | 'logits' | 'values';
const OUTPUTS: readonly McOutput[] = ['probabilities', 'logits', 'values'];

/**
 * Rows (samples × examples) per `predict` call when `batchSize` is not given. On the CPU backend
 * the character model (LSTM 256, native kernels) ran 32 samples of 32 sequences fastest at 256
 * rows per call (8 samples a call), slower at 1024 and at 32 (one sample a call). Since inference
 * runs on a ring tape (no per-step history) 512 and 1024 rows are 5–10% faster than 256, within
 * the machine's noise, and take more memory for the activations, so 256 stays.
 */
export const DEFAULT_MC_BATCH_SIZE = 256;

export interface McPredictOptions {
  /** S, the number of Monte Carlo samples (stochastic forward passes), a positive integer. */
  samples: number;
  /**
   * Rows per `model.predict` call: the input is tiled along the batch axis, ⌊batchSize / B⌋ samples
   * of the batch per call (examples split when B > batchSize). Default 256. Larger takes more memory
   * and is faster while the per-call overhead dominates (GPU backends, small models).
   */
  batchSize?: number;
  /** Seed of the samples' noise: the same seed, model and input give the same result. Omitted: fresh noise. */
  seed?: number | null;
  /**
   * 'probabilities' (softmax rows: mean, variance of the probabilities, entropy and mutual
   * information), 'logits' (softmax applied to each sample first; mean and variance are then of the
   * probabilities), 'values' (regression: mean and variance only). Default: 'probabilities' when
   * the model's output layer ends in a softmax, else 'values'.
   */
  output?: McOutput;
}

export interface McPrediction {
  /** Predictive mean (1/S) Σ_s y_s, shaped like `predict`'s output. */
  mean: tf.Tensor;
  /** Per-output variance over the samples (1/S) Σ_s (y_s − mean)², shaped like `predict`'s output. */
  variance: tf.Tensor;
  /** H[mean] per example (and step) in nats, the output without its class axis; null for 'values'. */
  entropy: tf.Tensor | null;
  /** Mutual information (BALD) H[mean] − (1/S) Σ_s H[y_s], same shape as entropy; null for 'values'. */
  mutualInformation: tf.Tensor | null;
}

/**
 * Monte Carlo dropout (Gal & Ghahramani, 2016, "Dropout as a Bayesian Approximation", ICML; for
 * recurrent layers, one mask per sequence: Gal & Ghahramani, 2016, NeurIPS): S stochastic forward
 * passes y_s = f(x; ω_s), ω_s the dropout noise of every stochastic Regulab layer drawn as in
 * training, reduced to
 *
 *   mean = (1/S) Σ_s y_s,   variance = (1/S) Σ_s (y_s − mean)²,
 *   entropy = H[mean],      mutualInformation = H[mean] − (1/S) Σ_s H[y_s]   (softmax outputs).
 *
 * The passes run inside the sampling context (./sampling-context.ts) through `model.predict`: every
 * stochastic Regulab layer samples (the dropout family, DropConnect, embedding dropout, concrete
 * dropout, DropBlock at its full rate, and rl.layers.lstm / gru's input and recurrent dropout with
 * one mask per sequence, zoneout and weight-drop), while the rest is inference: batch norm uses its
 * moving statistics, no penalty is queued, and no moving statistic, seed stream or weight changes.
 *
 * Batching: the input is tiled S' = ⌊batchSize / B⌋ times along the batch axis, so one call runs S'
 * samples of every example with independent noise per row. A layer whose one mask per call is
 * shared by the whole batch (DropConnect, weight-drop, embedding dropout, a dropout with noise
 * shape 1 on the batch axis) would give the tiled samples the same mask, so a model holding one
 * runs one call per sample (slower, still exact).
 *
 * Shapes: x [B, ...] (or one such tensor per model input) → mean, variance like `predict(x)`
 * ([B, C], [B, T, C], ...); entropy and mutualInformation [B] or [B, T]. The caller owns the
 * tensors. Errors: a model without a single output, stateful layers, tfjs's own dropout layers
 * (they ignore the sampling context: use rl.layers.dropout), bad options.
 */
export function mcPredict(
  model: tf.LayersModel,
  x: tf.Tensor | tf.Tensor[],
  options: McPredictOptions,
): McPrediction {
  const inputs = checkInputs(model, x);
  const opts = checkOptions(options);
  const output = opts.output ?? (endsInSoftmax(model) ? 'probabilities' : 'values');
  const batch = inputs[0]!.shape[0]!;
  const layers = allLayers(model);
  checkLayers(layers);
  const perCall = layers.some(sharesNoiseAcrossBatch) ? 1 : null; // samples per call, forced to 1
  const seeds = new SeedStream(opts.seed);
  const rows = opts.batchSize ?? DEFAULT_MC_BATCH_SIZE;
  const slice = Math.min(batch, rows); // examples per call

  const parts: McPrediction[] = [];
  try {
    for (let start = 0; start < batch; start += slice) {
      const size = Math.min(slice, batch - start);
      const samplesPerCall = perCall ?? Math.max(1, Math.floor(rows / size));
      parts.push(sampleSlice(model, inputs, start, size, opts.samples, samplesPerCall, output, seeds));
    }
  } catch (error) {
    tf.dispose(parts.flatMap(tensorsOf));
    throw error;
  }
  if (parts.length === 1) return parts[0]!;
  const joined = concatParts(parts);
  tf.dispose(parts.flatMap(tensorsOf));
  return joined;
}

/** The S samples of examples [start, start + size): tiles, predicts in the context, reduces. */
function sampleSlice(
  model: tf.LayersModel,
  inputs: tf.Tensor[],
  start: number,
  size: number,
  samples: number,
  samplesPerCall: number,
  output: McOutput,
  seeds: SeedStream,
): McPrediction {
  let reduction: McReduction | null = null;
  for (let done = 0; done < samples; done += samplesPerCall) {
    const k = Math.min(samplesPerCall, samples - done);
    const y = tf.tidy(() => {
      const tiled = inputs.map((t) => {
        const part = size === t.shape[0] ? t : tf.slice(t, start, size); // [size, ...]
        return k === 1 ? part : tf.tile(part, [k, ...part.shape.slice(1).map(() => 1)]); // [k·size, ...]
      });
      const raw = withSampling(seeds, () =>
        model.predict(tiled.length === 1 ? tiled[0]! : tiled, { batchSize: k * size }),
      ) as tf.Tensor; // [k·size, ...out]
      const samplesOut = tf.reshape(raw, [k, size, ...raw.shape.slice(1)]); // [k, size, ...out]
      return output === 'logits' ? tf.softmax(samplesOut) : samplesOut; // [k, size, ...out]
    });
    try {
      reduction ??= new McReduction(y.shape.slice(1), output !== 'values');
      reduction.add(y);
    } finally {
      y.dispose();
    }
  }
  return reduction!.result();
}

function tensorsOf(p: McPrediction): tf.Tensor[] {
  return [p.mean, p.variance, p.entropy, p.mutualInformation].filter((t): t is tf.Tensor => t !== null);
}

/** Joins the predictions of consecutive example slices along the batch axis. */
function concatParts(parts: McPrediction[]): McPrediction {
  const join = (pick: (p: McPrediction) => tf.Tensor | null): tf.Tensor | null => {
    const list = parts.map(pick);
    return list[0] === null ? null : tf.concat(list as tf.Tensor[], 0);
  };
  return {
    mean: join((p) => p.mean)!,
    variance: join((p) => p.variance)!,
    entropy: join((p) => p.entropy),
    mutualInformation: join((p) => p.mutualInformation),
  };
}

function checkOptions(options: McPredictOptions): McPredictOptions {
  if (options == null || typeof options !== 'object') {
    throw new RegulabConfigError(`${OWNER}: options { samples } are required, got ${String(options)}`);
  }
  const samples = checkPositiveInt(OWNER, 'samples', options.samples);
  const batchSize =
    options.batchSize == null ? undefined : checkPositiveInt(OWNER, 'batchSize', options.batchSize);
  const seed = checkSeed(OWNER, options.seed);
  if (options.output != null && !OUTPUTS.includes(options.output)) {
    throw new RegulabConfigError(
      `${OWNER}: option 'output' must be one of ${OUTPUTS.map((o) => `'${o}'`).join(', ')}, got ${String(options.output)}`,
    );
  }
  return { samples, batchSize, seed, output: options.output };
}

function checkInputs(model: tf.LayersModel, x: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  if (model == null || typeof model.predict !== 'function' || !Array.isArray(model.outputs)) {
    throw new RegulabConfigError(
      `${OWNER}: expects a tf.LayersModel (tf.sequential or tf.model) as its first argument`,
    );
  }
  if (model.outputs.length !== 1) {
    throw new RegulabConfigError(
      `${OWNER}: the model must have exactly one output, got ${model.outputs.length}; build a model of the output to sample`,
    );
  }
  const list = Array.isArray(x) ? x : [x];
  if (list.length === 0 || !list.every((t) => t instanceof tf.Tensor && t.rank >= 1)) {
    throw new RegulabConfigError(
      `${OWNER}: x must be a tensor [batch, ...] or an array of them, one per model input`,
    );
  }
  const batch = list[0]!.shape[0]!;
  if (batch === 0 || list.some((t) => t.shape[0] !== batch)) {
    throw new RegulabConfigError(
      `${OWNER}: the inputs must share a batch size ≥ 1, got ${list.map((t) => `[${t.shape.join(', ')}]`).join(', ')}`,
    );
  }
  return list;
}

/** tfjs's own noise layers ignore the sampling context; names as their `getClassName()`. */
const TFJS_NOISE = new Set([
  'Dropout',
  'SpatialDropout1D',
  'GaussianDropout',
  'GaussianNoise',
  'AlphaDropout',
]);
/** tfjs's recurrent layers draw their dropout only in training. */
const TFJS_RECURRENT = new Set(['LSTM', 'GRU', 'SimpleRNN']);

function checkLayers(layers: tf.layers.Layer[]): void {
  for (const layer of layers) {
    const name = layer.getClassName();
    const config = layer.getConfig();
    const tfjsRecurrentDropout =
      TFJS_RECURRENT.has(name) &&
      (Number(config['dropout'] ?? 0) > 0 || Number(config['recurrentDropout'] ?? 0) > 0);
    if (TFJS_NOISE.has(name) || tfjsRecurrentDropout) {
      throw new RegulabConfigError(
        `${OWNER}: layer '${layer.name}' is tfjs's ${name}, whose noise is off outside training, so it would not sample; use the rl.layers equivalent (rl.layers.dropout, rl.layers.lstm…)`,
      );
    }
    if ((layer as { stateful?: boolean }).stateful === true) {
      throw new RegulabConfigError(
        `${OWNER}: layer '${layer.name}' is stateful: its states would carry from one sample to the next; sample a copy built with stateful: false`,
      );
    }
  }
}

/** Whether the model's output layer ends in a softmax (directly, as an Activation/Softmax layer, or wrapped). */
function endsInSoftmax(model: tf.LayersModel): boolean {
  const layer = model.outputs[0]!.sourceLayer as tf.layers.Layer;
  if (layer.getClassName() === 'Softmax') return true;
  const config = layer.getConfig();
  const inner = (config['layer'] as { config?: Record<string, unknown> } | undefined)?.config;
  return config['activation'] === 'softmax' || inner?.['activation'] === 'softmax';
}
