/**
 * Options shared by Regulab's LSTM and GRU layers, their defaults and their validation.
 * Every check names the layer, the option and the bad value (RegulabConfigError).
 */
import type * as tf from '@tensorflow/tfjs';
import type { SequenceActivation } from '@regulab/kernels';
import {
  checkNonNegative,
  checkOneOf,
  checkPositiveInt,
  checkProbability,
  checkOptions,
  checkRate,
  RegulabConfigError,
} from '../../util/validate.js';
import type { Constraint, Regularizer, SerializedIdentifier } from '../tfjs-identifiers.js';
import type { InitializerSpec } from './initializers.js';

/** A regularizer option: a tfjs name ('l1l2'), an instance (rl.regularizers.l2(…)) or {className, config}. */
export type RegularizerSpec = string | Regularizer | SerializedIdentifier;
/** A constraint option: a tfjs name ('maxNorm', …), an instance (rl.constraints.maxNorm(…)) or {className, config}. */
export type ConstraintSpec = string | Constraint | SerializedIdentifier;

export type RecurrentDropoutMode = 'gal' | 'semeniuta';
/** How often a recurrent dropout mask is drawn: once per sequence, or anew at every step. */
export type RecurrentDropoutMask = 'sequence' | 'step';
/** The earlier name of RecurrentDropoutMask, from when only Semeniuta's mask had the choice. */
export type SemeniutaMask = RecurrentDropoutMask;
export type ZoneoutAtInference = 'expectation' | 'off' | 'stochastic';
export type Normalization = 'none' | 'layer' | 'batch';
export type LayerNormScope = 'fused' | 'gate';

export const ACTIVATIONS: readonly SequenceActivation[] = [
  'sigmoid',
  'hardSigmoid',
  'tanh',
  'relu',
  'linear',
];

/** Options of both recurrent layers (see docs/recurrent.md for each equation and paper). */
export interface RecurrentOptions {
  units: number;
  returnSequences?: boolean;
  returnState?: boolean;
  goBackwards?: boolean;
  stateful?: boolean;
  /** Gal & Ghahramani input dropout: one [B, D] mask per sequence on x_t. */
  dropout?: number;
  /** Recurrent dropout rate; `recurrentDropoutMode` picks where it applies. */
  recurrentDropout?: number;
  /** 'gal': mask on h_{t−1} in the recurrent matmul, per sequence; 'semeniuta': mask on the candidate. */
  recurrentDropoutMode?: RecurrentDropoutMode;
  /**
   * The recurrent dropout mask drawn once per sequence ('sequence') or anew at every step ('step').
   * Default: each mode's paper: 'sequence' for 'gal' (Gal & Ghahramani's variational mask),
   * 'step' for 'semeniuta'. 'gal' + 'step' is the "naive" recurrent dropout Gal & Ghahramani
   * argue against (h_{t−1} ⊙ m_t with m_t fresh each step). Either way the fast kernels draw a
   * 'step' mask themselves from the layer's seed, normalized layers included (issue 13).
   */
  recurrentDropoutMask?: RecurrentDropoutMask;
  /**
   * Alias of `recurrentDropoutMask` in mode 'semeniuta' (its name before the option applied to
   * both modes); in mode 'gal' it has no effect, as before. Giving both with different values is
   * an error.
   */
  semeniutaMask?: SemeniutaMask;
  /** Zoneout at inference: the expectation (default), no zoneout, or random masks as in training. */
  zoneoutAtInference?: ZoneoutAtInference;
  /** DropConnect on the recurrent kernel, one mask per call (Merity et al.'s weight-drop). */
  weightDrop?: number;
  /** β of Krueger & Memisevic's norm stabilizer on h, added to the training loss. */
  normStabilizer?: number;
  kernelInitializer?: InitializerSpec;
  recurrentInitializer?: InitializerSpec;
  biasInitializer?: InitializerSpec;
  /** Candidate / cell-output activation (default 'tanh'). */
  activation?: SequenceActivation;
  /** Gate activation (default 'sigmoid', as Keras 3 and PyTorch; tfjs defaults to 'hardSigmoid'). */
  recurrentActivation?: SequenceActivation;
  /** Seed of the layer's mask stream and default initializers. */
  seed?: number;
  /**
   * Penalty on the kernel W [D, G·H], added to `fit`'s and `trainOnBatch`'s loss (tfjs's meaning,
   * as on tf.layers.dense; tf.layers.lstm / gru leave it out of the loss, Regulab does not).
   */
  kernelRegularizer?: RegularizerSpec | null;
  /** Penalty on the recurrent kernel U [H, G·H]; with `weightDrop`, on the raw U (not the dropped one). */
  recurrentRegularizer?: RegularizerSpec | null;
  /** Penalty on the bias. */
  biasRegularizer?: RegularizerSpec | null;
  /**
   * Penalty on the layer's outputs (each output, final states included), divided by the batch size
   * and added to the loss of training calls, as Keras does (tfjs's own layers throw "not implemented").
   */
  activityRegularizer?: RegularizerSpec | null;
  /** Projection of W after each step, by rl.callbacks.applyConstraints() / rl.constraints.applyConstraints(). */
  kernelConstraint?: ConstraintSpec | null;
  /** Projection of U after each step; with `weightDrop`, of the raw U. */
  recurrentConstraint?: ConstraintSpec | null;
  /** Projection of the bias after each step. */
  biasConstraint?: ConstraintSpec | null;
  /** false: no bias weight (the fused kernels get a constant zero bias). Default true. */
  useBias?: boolean;
  /** tfjs / Keras's choice of matmul layout (0, 1 or 2). Accepted for ported code; no effect on the result. */
  implementation?: number;
  /** tfjs / Keras's unrolling of the time loop. Accepted for ported code; no effect on the result. */
  unroll?: boolean;
  // tfjs LayerArgs that Regulab passes through.
  dtype?: tf.DataType;
  /** dtype of the input layer a Sequential model creates for this layer (as tfjs). */
  inputDType?: tf.DataType;
  /** Initial weight values, set after build (as tfjs). */
  weights?: tf.Tensor[];
  name?: string;
  trainable?: boolean;
  inputShape?: (number | null)[];
  batchInputShape?: (number | null)[];
  batchSize?: number;
  inputDim?: number;
  inputLength?: number;
}

/** The validated, defaulted options common to both layers. */
export interface ResolvedRecurrentOptions {
  units: number;
  returnSequences: boolean;
  returnState: boolean;
  goBackwards: boolean;
  stateful: boolean;
  dropout: number;
  recurrentDropout: number;
  recurrentDropoutMode: RecurrentDropoutMode;
  recurrentDropoutMask: RecurrentDropoutMask;
  zoneoutAtInference: ZoneoutAtInference;
  weightDrop: number;
  normStabilizer: number;
  activation: SequenceActivation;
  recurrentActivation: SequenceActivation;
  seed: number | null;
  useBias: boolean;
  implementation: number;
  unroll: boolean;
}

const KNOWN_COMMON = new Set([
  'units',
  'returnSequences',
  'returnState',
  'goBackwards',
  'stateful',
  'dropout',
  'recurrentDropout',
  'recurrentDropoutMode',
  'recurrentDropoutMask',
  'semeniutaMask',
  'zoneoutAtInference',
  'weightDrop',
  'normStabilizer',
  'kernelInitializer',
  'recurrentInitializer',
  'biasInitializer',
  'activation',
  'recurrentActivation',
  'seed',
  'name',
  'trainable',
  'inputShape',
  'batchInputShape',
  'batchSize',
  'inputDim',
  'inputLength',
  'dtype',
  'weights',
  'kernelRegularizer',
  'recurrentRegularizer',
  'biasRegularizer',
  'activityRegularizer',
  'kernelConstraint',
  'recurrentConstraint',
  'biasConstraint',
  'useBias',
  'implementation',
  'unroll',
  'inputDType',
]);

/** tfjs options Regulab refuses, and why. */
const REFUSED: Record<string, string> = {
  dropoutFunc:
    "it is tfjs's test hook for its own dropout masks; Regulab draws every mask from option 'seed'",
};

/** Rejects options the layer does not know (a typo must not silently switch a regularizer off). */
export function checkKnownOptions(owner: string, options: object, extra: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (REFUSED[key] !== undefined) {
      throw new RegulabConfigError(`${owner}: option '${key}' is not supported: ${REFUSED[key]}`);
    }
  }
  checkOptions(owner, options, [...KNOWN_COMMON, ...extra]);
}

export function resolveRecurrentOptions(owner: string, o: RecurrentOptions): ResolvedRecurrentOptions {
  if (o == null || typeof o !== 'object') throw new RegulabConfigError(`${owner}: options object required`);
  const bool = (option: keyof RecurrentOptions, v: unknown, fallback = false): boolean => {
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') {
      throw new RegulabConfigError(`${owner}: option '${option}' must be a boolean, got ${String(v)}`);
    }
    return v;
  };
  const seed = o.seed;
  if (seed !== undefined && seed !== null && !Number.isInteger(seed)) {
    throw new RegulabConfigError(`${owner}: option 'seed' must be an integer, got ${String(seed)}`);
  }
  const recurrentDropoutMode = checkOneOf(owner, 'recurrentDropoutMode', o.recurrentDropoutMode ?? 'gal', [
    'gal',
    'semeniuta',
  ]);
  return {
    units: checkPositiveInt(owner, 'units', o.units),
    returnSequences: bool('returnSequences', o.returnSequences),
    returnState: bool('returnState', o.returnState),
    goBackwards: bool('goBackwards', o.goBackwards),
    stateful: bool('stateful', o.stateful),
    dropout: checkRate(owner, 'dropout', o.dropout ?? 0),
    recurrentDropout: checkRate(owner, 'recurrentDropout', o.recurrentDropout ?? 0),
    recurrentDropoutMode,
    recurrentDropoutMask: resolveDropoutMask(owner, recurrentDropoutMode, o),
    zoneoutAtInference: checkOneOf(owner, 'zoneoutAtInference', o.zoneoutAtInference ?? 'expectation', [
      'expectation',
      'off',
      'stochastic',
    ]),
    weightDrop: checkRate(owner, 'weightDrop', o.weightDrop ?? 0),
    normStabilizer: checkNonNegative(owner, 'normStabilizer', o.normStabilizer ?? 0),
    activation: checkOneOf(owner, 'activation', o.activation ?? 'tanh', ACTIVATIONS),
    recurrentActivation: checkOneOf(
      owner,
      'recurrentActivation',
      o.recurrentActivation ?? 'sigmoid',
      ACTIVATIONS,
    ),
    seed: seed ?? null,
    useBias: bool('useBias', o.useBias, true),
    implementation: resolveImplementation(owner, o.implementation),
    unroll: bool('unroll', o.unroll),
  };
}

const MASKS: readonly RecurrentDropoutMask[] = ['sequence', 'step'];

/**
 * `recurrentDropoutMask`, or its alias `semeniutaMask` in mode 'semeniuta', or the mode's default
 * ('gal': 'sequence', 'semeniuta': 'step'). In mode 'gal' `semeniutaMask` is checked but ignored:
 * configs saved before the option carry `semeniutaMask: 'step'` for every layer.
 */
function resolveDropoutMask(
  owner: string,
  mode: RecurrentDropoutMode,
  o: RecurrentOptions,
): RecurrentDropoutMask {
  const given =
    o.recurrentDropoutMask == null
      ? undefined
      : checkOneOf(owner, 'recurrentDropoutMask', o.recurrentDropoutMask, MASKS);
  const alias =
    o.semeniutaMask == null ? undefined : checkOneOf(owner, 'semeniutaMask', o.semeniutaMask, MASKS);
  if (mode === 'gal') return given ?? 'sequence';
  if (given !== undefined && alias !== undefined && given !== alias) {
    throw new RegulabConfigError(
      `${owner}: option 'semeniutaMask' ('${alias}') is the old name of 'recurrentDropoutMask' ('${given}') and contradicts it; give only recurrentDropoutMask`,
    );
  }
  return given ?? alias ?? 'step';
}

/** tfjs's `implementation` (0 is its deprecated alias of 1): kept for getConfig, no effect on the result. */
function resolveImplementation(owner: string, value: unknown): number {
  if (value == null) return 1;
  if (value !== 0 && value !== 1 && value !== 2) {
    throw new RegulabConfigError(
      `${owner}: option 'implementation' must be 0, 1 or 2 (tfjs's matmul layout; it has no effect here), got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** The normalisation options both layers take (docs/recurrent.md: each layer's variant). */
export interface NormOptions {
  /** 'none' (default), 'layer' (layer norm, Ba et al.) or 'batch' (recurrent batch norm, Cooijmans et al.). */
  normalization?: Normalization;
  /** Layer norm statistics over all the projection's gate blocks ('fused'; default) or per gate. */
  layerNormScope?: LayerNormScope;
  /** Batch norm: steps with their own statistics (default: the input length known at build). */
  normMaxSteps?: number;
  /** Batch norm: momentum of the moving statistics (default 0.99). */
  normMomentum?: number;
}

export const NORM_OPTIONS = ['normalization', 'layerNormScope', 'normMaxSteps', 'normMomentum'] as const;

export interface ResolvedNormOptions {
  normalization: Normalization;
  layerNormScope: LayerNormScope;
  normMaxSteps: number | null;
  normMomentum: number;
}

/** Validates and defaults the normalisation options. */
export function resolveNormOptions(owner: string, o: NormOptions): ResolvedNormOptions {
  const normalization = checkOneOf(owner, 'normalization', o.normalization ?? 'none', [
    'none',
    'layer',
    'batch',
  ]);
  const layerNormScope = checkOneOf(owner, 'layerNormScope', o.layerNormScope ?? 'fused', ['fused', 'gate']);
  const normMaxSteps = o.normMaxSteps ?? null;
  if (normMaxSteps !== null && !(Number.isInteger(normMaxSteps) && normMaxSteps > 0)) {
    throw new RegulabConfigError(
      `${owner}: option 'normMaxSteps' must be a positive integer, got ${String(o.normMaxSteps)}`,
    );
  }
  const normMomentum = checkNonNegative(owner, 'normMomentum', o.normMomentum ?? 0.99);
  if (normMomentum >= 1) {
    throw new RegulabConfigError(`${owner}: option 'normMomentum' must be in [0, 1), got ${normMomentum}`);
  }
  return { normalization, layerNormScope, normMaxSteps, normMomentum };
}

/** A zoneout rate: a probability in [0, 1] (1 keeps the state forever). */
export function resolveZoneout(owner: string, option: string, value: unknown): number {
  return checkProbability(owner, option, value ?? 0);
}
