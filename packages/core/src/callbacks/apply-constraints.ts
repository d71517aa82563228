/**
 * A `fit` callback that enforces layer constraints after every batch, with any optimizer.
 */
import * as tf from '@tensorflow/tfjs';
import { applyConstraints as projectWeights } from '../constraints/apply-constraints.js';

/**
 * Calls `rl.constraints.applyConstraints(model)` at the end of every batch, i.e. right after each
 * optimizer step, which is where Keras applies constraints. TensorFlow.js's `fit` never applies
 * `kernelConstraint` & co. (tfjs#3345, #3979), so without this callback a `maxNorm` constraint is
 * silently ignored. As in Keras, the initial weights are not projected: only updated ones.
 *
 * ```ts
 * await model.fit(x, y, { epochs, callbacks: [rl.callbacks.applyConstraints()] });
 * ```
 */
export class ApplyConstraints extends tf.Callback {
  /** Number of weight projections made since the start of training (for logs and tests). */
  projections = 0;

  override async onTrainBegin(): Promise<void> {
    this.projections = 0;
  }

  override async onBatchEnd(): Promise<void> {
    this.project();
  }

  private project(): void {
    if (this.model != null) this.projections += projectWeights(this.model);
  }
}

/** Creates the constraint-enforcing callback (see `ApplyConstraints`). */
export function applyConstraints(): ApplyConstraints {
  return new ApplyConstraints();
}
