/**
 * Early stopping with Keras 3 semantics, including `restoreBestWeights` (which TensorFlow.js's
 * `tf.callbacks.earlyStopping` rejects with "not implemented", tfjs#8488).
 */
import * as tf from '@tensorflow/tfjs';
import { RegulabConfigError, checkOneOf, describeValue } from '../util/validate.js';

export interface EarlyStoppingArgs {
  /** Log key to watch, e.g. `'val_loss'` (default), `'loss'`, `'val_acc'`. */
  monitor?: string;
  /** Epochs without improvement after which training stops. Default 0. */
  patience?: number;
  /** An improvement must exceed this (absolute) amount. Default 0. */
  minDelta?: number;
  /** `'min'`, `'max'`, or `'auto'` (default: `'max'` for accuracy-like names — acc, auc, precision, recall — else `'min'`). */
  mode?: 'auto' | 'min' | 'max';
  /** The patience counter is reset only by values that also beat this baseline. */
  baseline?: number;
  /** Epochs (0-based) before this one are ignored: a warm-up in which nothing is counted. Default 0. */
  startFromEpoch?: number;
  /** Restore the best epoch's weights at the end of training, whether or not training stopped early. */
  restoreBestWeights?: boolean;
  /** Log the stop and the restore with console.log. Default false. */
  verbose?: boolean;
}

/**
 * Stops training when `monitor` has not improved for `patience` epochs (Keras 3 `EarlyStopping`).
 *
 * At the end of each epoch e ≥ `startFromEpoch` with value x (in 'min' mode; 'max' flips the signs):
 *
 *     improved(x, ref) = ref is unset or x + minDelta < ref
 *     wait ← wait + 1
 *     if improved(x, best): best ← x, bestEpoch ← e, snapshot weights;
 *                           if baseline is unset or improved(x, baseline): wait ← 0
 *     else if wait ≥ patience and e > 0: stop
 *
 * With `restoreBestWeights`, the weights of the best epoch (the first eligible epoch's if none
 * improved) are restored when training ends, whether it stopped early or ran all its epochs (as in
 * Keras 3; Keras 2 restored only on an early stop). Snapshots include non-trainable weights
 * (batch-norm statistics) and are kept as tensors (one model's worth of memory).
 *
 * In a custom loop: `setModel(model)`, `await onTrainBegin()`, `await onEpochEnd(epoch, logs)` per
 * epoch (check `stopped`), then `await onTrainEnd()`.
 */
export class EarlyStopping extends tf.Callback {
  readonly monitor: string;
  readonly patience: number;
  readonly minDelta: number;
  readonly mode: 'min' | 'max';
  readonly baseline: number | undefined;
  readonly startFromEpoch: number;
  readonly restoreBestWeights: boolean;
  readonly verbose: boolean;

  /** Epochs counted since the last reset. */
  wait = 0;
  /** Best monitored value so far (undefined before the first eligible epoch). */
  best: number | undefined;
  /** Epoch (0-based) of the best value. */
  bestEpoch = -1;
  /** Epoch at which training was stopped, or -1. */
  stoppedEpoch = -1;
  private bestWeights: tf.Tensor[] | null = null;
  private warnedMissing = false;

  constructor(args: EarlyStoppingArgs = {}) {
    super();
    const owner = 'rl.callbacks.earlyStopping';
    this.monitor = args.monitor ?? 'val_loss';
    if (typeof this.monitor !== 'string' || this.monitor.length === 0) {
      throw new RegulabConfigError(
        `${owner}: option 'monitor' must be a non-empty string, got ${String(args.monitor)}`,
      );
    }
    this.patience = checkCount(owner, 'patience', args.patience ?? 0);
    this.startFromEpoch = checkCount(owner, 'startFromEpoch', args.startFromEpoch ?? 0);
    const minDelta = args.minDelta ?? 0;
    if (typeof minDelta !== 'number' || !Number.isFinite(minDelta)) {
      throw new RegulabConfigError(
        `${owner}: option 'minDelta' must be a finite number, got ${String(minDelta)}`,
      );
    }
    this.minDelta = Math.abs(minDelta);
    const mode = checkOneOf(owner, 'mode', args.mode ?? 'auto', ['auto', 'min', 'max'] as const);
    this.mode = mode === 'auto' ? inferMode(this.monitor) : mode;
    if (args.baseline != null && (typeof args.baseline !== 'number' || !Number.isFinite(args.baseline))) {
      throw new RegulabConfigError(
        `${owner}: option 'baseline' must be a finite number, got ${String(args.baseline)}`,
      );
    }
    this.baseline = args.baseline ?? undefined;
    this.restoreBestWeights = args.restoreBestWeights ?? false;
    this.verbose = args.verbose ?? false;
  }

  /** True once this callback has asked training to stop. */
  get stopped(): boolean {
    return this.stoppedEpoch >= 0;
  }

  override async onTrainBegin(): Promise<void> {
    this.wait = 0;
    this.best = undefined;
    this.bestEpoch = -1;
    this.stoppedEpoch = -1;
    this.disposeSnapshot();
  }

  override async onEpochEnd(epoch: number, logs?: tf.Logs): Promise<void> {
    const current = await this.monitorValue(logs);
    if (current == null || epoch < this.startFromEpoch) return;
    if (this.restoreBestWeights && this.bestWeights == null) this.snapshot(); // the first eligible epoch
    this.wait += 1;
    if (this.improved(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.snapshot();
      if (this.baseline == null || this.improved(current, this.baseline)) this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      if (this.model != null) this.model.stopTraining = true;
      if (this.verbose)
        console.log(
          `Epoch ${epoch + 1}: early stopping (best ${this.monitor} at epoch ${this.bestEpoch + 1})`,
        );
    }
  }

  override async onTrainEnd(): Promise<void> {
    if (this.restoreBestWeights && this.bestWeights != null && this.model != null) {
      if (this.verbose) console.log(`Restoring model weights from the end of epoch ${this.bestEpoch + 1}`);
      this.model.setWeights(this.bestWeights);
    }
    this.disposeSnapshot();
  }

  /** x improves on ref by more than minDelta in the monitored direction (any x improves on "unset"). */
  private improved(x: number, ref: number | undefined): boolean {
    if (ref == null) return true;
    return this.mode === 'min' ? x + this.minDelta < ref : x - this.minDelta > ref;
  }

  private snapshot(): void {
    if (this.model == null) return;
    this.disposeSnapshot();
    this.bestWeights = this.model.getWeights().map((w) => tf.keep(tf.clone(w)));
  }

  private disposeSnapshot(): void {
    if (this.bestWeights != null) tf.dispose(this.bestWeights);
    this.bestWeights = null;
  }

  private async monitorValue(logs?: tf.Logs): Promise<number | undefined> {
    const raw = (logs as Record<string, unknown> | undefined)?.[this.monitor];
    if (raw == null) {
      if (!this.warnedMissing) {
        console.warn(
          `rl.callbacks.earlyStopping: '${this.monitor}' is not in the logs (available: ${Object.keys(logs ?? {}).join(', ')}); ` +
            `nothing is monitored. Did you forget validationData?`,
        );
        this.warnedMissing = true;
      }
      return undefined;
    }
    if (raw instanceof tf.Tensor) return (await raw.data())[0];
    return Number(raw);
  }
}

function inferMode(monitor: string): 'min' | 'max' {
  return /acc|auc|precision|recall/i.test(monitor.replace(/^val_/, '')) ? 'max' : 'min';
}

function checkCount(owner: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new RegulabConfigError(
      `${owner}: option '${option}' must be an integer ≥ 0, got ${describeValue(value)}`,
    );
  }
  return value;
}

/**
 * Creates an early-stopping callback (see `EarlyStopping`).
 *
 * ```ts
 * const stop = rl.callbacks.earlyStopping({ monitor: 'val_loss', patience: 5, restoreBestWeights: true });
 * await model.fit(x, y, { epochs: 100, validationData, callbacks: [stop] });
 * ```
 */
export function earlyStopping(args: EarlyStoppingArgs = {}): EarlyStopping {
  return new EarlyStopping(args);
}
