/**
 * Learning-rate schedules for `adamw` and `sgdw`: a serializable map from the optimizer's step count
 * to a learning rate. Because Regulab's `weightDecay` is scaled by the learning rate
 * (w ← w − lr_t·λ·w), the schedule scales the decay too, as the schedule multiplier η_t of
 * Loshchilov & Hutter (2019) does, and as PyTorch AdamW + a scheduler and Keras AdamW + a
 * `LearningRateSchedule` do.
 */
import * as tf from '@tensorflow/tfjs';
import { RegulabConfigError, checkNonNegative, describeValue } from '../util/validate.js';

/** Base class: subclass, implement `valueAt`, `getConfig`, and register with `tf.serialization.registerClass`. */
export abstract class LearningRateSchedule extends tf.serialization.Serializable {
  /** The learning rate for the update at 0-based step `step` (the optimizer's `iterations` before the update). */
  abstract valueAt(step: number): number;
}

export interface CosineDecayArgs {
  /** Peak learning rate, reached at the end of the warm-up. */
  initialLearningRate: number;
  /** Steps of the cosine part (after the warm-up); afterwards the rate stays at `alpha·initial`. */
  decaySteps: number;
  /** Final rate as a fraction of the initial rate. Default 0. */
  alpha?: number;
  /** Linear warm-up from 0 to the initial rate over this many steps. Default 0. */
  warmupSteps?: number;
}

/**
 * Cosine decay with optional linear warm-up (Loshchilov & Hutter, "SGDR", ICLR 2017, without restarts):
 *
 *     lr(t) = initial · (t + 1) / warmupSteps                                  for t < warmupSteps
 *     lr(t) = initial · ((1 − α)·½·(1 + cos(π·min(s, D)/D)) + α),  s = t − warmupSteps   otherwise
 *
 * The warm-up counts from `(t + 1)` so that the first update does not have a learning rate of 0.
 */
export class CosineDecay extends LearningRateSchedule {
  static readonly className = 'RegulabCosineDecay';
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly alpha: number;
  readonly warmupSteps: number;

  constructor(args: CosineDecayArgs) {
    super();
    const owner = 'rl.optimizers.cosineDecay';
    this.initialLearningRate = checkNonNegative(owner, 'initialLearningRate', args?.initialLearningRate);
    if (!Number.isInteger(args.decaySteps) || args.decaySteps <= 0) {
      throw new RegulabConfigError(
        `${owner}: option 'decaySteps' must be a positive integer, got ${String(args.decaySteps)}`,
      );
    }
    this.decaySteps = args.decaySteps;
    this.alpha = checkNonNegative(owner, 'alpha', args.alpha ?? 0);
    if (this.alpha > 1) {
      throw new RegulabConfigError(`${owner}: option 'alpha' must be in [0, 1], got ${this.alpha}`);
    }
    const warmup = args.warmupSteps ?? 0;
    if (!Number.isInteger(warmup) || warmup < 0) {
      throw new RegulabConfigError(
        `${owner}: option 'warmupSteps' must be an integer ≥ 0, got ${String(args.warmupSteps)}`,
      );
    }
    this.warmupSteps = warmup;
  }

  valueAt(step: number): number {
    if (step < this.warmupSteps) return (this.initialLearningRate * (step + 1)) / this.warmupSteps;
    const s = Math.min(step - this.warmupSteps, this.decaySteps);
    const cosine = 0.5 * (1 + Math.cos((Math.PI * s) / this.decaySteps));
    return this.initialLearningRate * ((1 - this.alpha) * cosine + this.alpha);
  }

  getConfig(): tf.serialization.ConfigDict {
    return {
      initialLearningRate: this.initialLearningRate,
      decaySteps: this.decaySteps,
      alpha: this.alpha,
      warmupSteps: this.warmupSteps,
    };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls(config as unknown as CosineDecayArgs);
  }
}
tf.serialization.registerClass(CosineDecay);

/** Cosine decay with linear warm-up; see `CosineDecay`. */
export function cosineDecay(args: CosineDecayArgs): CosineDecay {
  return new CosineDecay(args);
}

/** A learning rate: a constant or a schedule. */
export type LearningRate = number | LearningRateSchedule;

/** Validates a learning rate option: a finite number > 0, or a `LearningRateSchedule`. */
export function checkLearningRate(owner: string, value: unknown): LearningRate {
  if (value instanceof LearningRateSchedule) return value;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RegulabConfigError(
      `${owner}: option 'learningRate' must be a finite number > 0 or a LearningRateSchedule, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** Serializes a learning rate for `getConfig` (a schedule as `{className, config}`). */
export function serializeLearningRate(lr: LearningRate): number | tf.serialization.ConfigDict {
  if (typeof lr === 'number') return lr;
  const cls = lr.constructor as unknown as { className: string };
  return { className: cls.className, config: lr.getConfig() };
}

/** Inverse of `serializeLearningRate`; the schedule class must be registered. */
export function deserializeLearningRate(value: unknown): LearningRate {
  if (typeof value === 'number') return value;
  const v = value as { className?: string; config?: tf.serialization.ConfigDict };
  const entry = v?.className
    ? tf.serialization.SerializationMap.getMap().classNameMap[v.className]
    : undefined;
  if (entry == null) {
    throw new RegulabConfigError(
      `learning rate schedule '${String(v?.className)}' is not registered (tf.serialization.registerClass)`,
    );
  }
  const [cls, fromConfig] = entry;
  return fromConfig(cls, v.config ?? {}) as unknown as LearningRateSchedule;
}
