/**
 * `rl.regularizers.activity`: AR / TAR (Merity et al.) as an identity layer that adds its penalty to
 * the model's loss during training.
 *
 * Why a layer: tfjs's `activityRegularizer` layer option throws "not implemented" (tfjs#8022). But
 * tfjs's `fit` adds `model.calculateLosses()` (every layer's `addLoss` functions) to the loss *after*
 * the forward pass and inside the same gradient tape (tfjs-layers engine/training.js,
 * `makeTrainFunction`). So this layer computes the penalty of its input in `call` when `training` is
 * true, keeps it, and hands it over through a loss function registered with `addLoss`: the penalty
 * enters the loss and its gradient flows back into the network.
 */
import * as tf from '@tensorflow/tfjs';
import { RegulabConfigError, checkNonNegative } from '../util/validate.js';
import { activationPenalty, temporalActivationPenalty } from './activity-penalties.js';

export interface ActivityRegularizationArgs {
  /** α of AR = α·mean(h²). Default 0 (off). AWD-LSTM: 2, on the dropped output. */
  ar?: number;
  /** β of TAR = β·mean((h_{t+1} − h_t)²). Default 0 (off). AWD-LSTM: 1, on the raw output. */
  tar?: number;
  name?: string;
}

/**
 * Identity layer adding AR and/or TAR of its input to the loss, in training only
 * (Merity, McCann & Socher 2017; AWD-LSTM, Merity et al. ICLR 2018):
 *
 *     y = h;   loss += α·mean(h²) + β·mean((h_{t+1} − h_t)²)        (when training)
 *
 * AWD-LSTM puts AR on the dropped and TAR on the raw output of the last recurrent layer, so use two
 * instances around the dropout:
 *
 * ```ts
 * lstm → rl.regularizers.activity({ tar: 1 }) → rl.layers.lockedDropout({ rate: 0.4 })
 *      → rl.regularizers.activity({ ar: 2 }) → dense
 * ```
 *
 * Shapes: input [B, T, H] (TAR needs the time axis at 1; AR accepts any shape); output = input.
 * Masks pass through; padded steps are not excluded from the means (AWD-LSTM does not mask either).
 *
 * Training vs inference: the penalty is computed only on calls with `training: true` (`fit`,
 * `trainOnBatch`, `apply(x, { training: true })`); `predict` and `evaluate` add nothing. Each
 * training call's penalty is held until the next `model.calculateLosses()` reads it (tfjs's `fit`
 * does so once per step; a custom loop adds `tf.addN(model.calculateLosses())` to its loss inside
 * the gradient function). A shared layer called twice adds both penalties. A training call whose
 * penalty no loss reads leaves it held for the next read: call `clearPenalties()` after such calls.
 *
 * Serializes as `RegulabActivityRegularization` with `{ ar, tar }`.
 */
export class ActivityRegularization extends tf.layers.Layer {
  static className = 'RegulabActivityRegularization';
  readonly ar: number;
  readonly tar: number;
  private pending: tf.Scalar[] = [];

  constructor(args: ActivityRegularizationArgs) {
    super({ name: args?.name });
    const owner = 'rl.regularizers.activity';
    if (args == null || (args.ar == null && args.tar == null)) {
      throw new RegulabConfigError(`${owner}: set option 'ar' (α) and/or option 'tar' (β)`);
    }
    this.ar = checkNonNegative(owner, 'ar', args.ar ?? 0);
    this.tar = checkNonNegative(owner, 'tar', args.tar ?? 0);
    this.supportsMasking = true;
    this.addLoss(() => this.takePenalty());
  }

  /** The penalty of one activation tensor (AR + TAR), as a pure function of h. */
  penalty(h: tf.Tensor): tf.Scalar {
    return tf.tidy(() => {
      const terms: tf.Scalar[] = [];
      if (this.ar > 0) terms.push(activationPenalty(h, this.ar));
      if (this.tar > 0) terms.push(temporalActivationPenalty(h, this.tar));
      return terms.length === 0 ? tf.scalar(0) : (tf.addN(terms) as tf.Scalar);
    });
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const h = Array.isArray(inputs) ? inputs[0] : inputs; // [B, T, H]
    if (kwargs['training'] === true && (this.ar > 0 || this.tar > 0)) {
      if (this.tar > 0 && h.rank < 2) {
        throw new RegulabConfigError(
          `rl.regularizers.activity: TAR needs an input with a time axis [B, T, ...], got shape [${h.shape}]`,
        );
      }
      // Kept: a model's `apply` runs its layers inside a tf.tidy that would otherwise free the
      // penalty before the loss reads it. `takePenalty` frees it.
      this.pending.push(tf.keep(this.penalty(h)));
    }
    return h;
  }

  /**
   * The loss function registered with `addLoss`: the sum of the penalties of the training calls
   * since the last read (0 when there were none, e.g. under `evaluate`), then frees them.
   */
  private takePenalty(): tf.Scalar {
    const held = this.pending.filter((p) => !p.isDisposed);
    this.pending = [];
    if (held.length === 0) return tf.scalar(0);
    // A new tensor in the caller's scope; the tape links it to the penalties, whose values the
    // backward pass does not need (identity / add), so the kept originals can be freed now.
    const total = (held.length === 1 ? tf.clone(held[0]) : tf.addN(held)) as tf.Scalar;
    tf.dispose(held);
    return total;
  }

  /**
   * Frees held penalties without reading them. Needed only after training calls whose penalty no
   * loss read (e.g. `apply(x, { training: true })` for Monte-Carlo dropout): they would otherwise be
   * added to the next read.
   */
  clearPenalties(): void {
    tf.dispose(this.pending);
    this.pending = [];
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ar: this.ar, tar: this.tar };
  }
}
tf.serialization.registerClass(ActivityRegularization);

/** Creates an AR/TAR layer; see {@link ActivityRegularization}. */
export function activity(args: ActivityRegularizationArgs): ActivityRegularization {
  return new ActivityRegularization(args);
}
