/**
 * AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, "Decoupled Weight Decay
 * Regularization", ICLR 2019), as PyTorch `torch.optim.AdamW` and Keras `AdamW` implement it.
 */
import * as tf from '@tensorflow/tfjs';
import { OPTIMIZER_KIND } from '@regulab/kernels';
import { checkPositive, checkRate } from '../util/validate.js';
import {
  type DecoupledWeightDecayArgs,
  DecoupledWeightDecayOptimizer,
  type Slots,
} from './decoupled-weight-decay.js';
import type { FusedStep } from './fused-update.js';

export interface AdamWArgs extends DecoupledWeightDecayArgs {
  /** Decay of the first-moment estimate. Default 0.9. */
  beta1?: number;
  /** Decay of the second-moment estimate. Default 0.999. */
  beta2?: number;
  /** Added to sqrt(v̂) in the denominator. Default 1e-8 (PyTorch and the Adam paper; Keras uses 1e-7). */
  epsilon?: number;
}

/**
 * AdamW. At step t (1-based here), for each variable w with clipped gradient g:
 *
 *     w ← w − lr_t·λ·w                        (skipped for names matching `exclude`)
 *     m ← β1·m + (1 − β1)·g
 *     v ← β2·v + (1 − β2)·g²
 *     w ← w − lr_t · (m / (1 − β1^t)) / (sqrt(v / (1 − β2^t)) + ε)
 *
 * The decay never enters m or v (unlike Adam with an L2 penalty or PyTorch `Adam(weight_decay)`),
 * so every weight decays at the same relative rate lr·λ whatever its gradient history.
 *
 * Shapes: m and v have each variable's shape. State: `getWeights()` gives `iter` then
 * `<variable>/m`, `<variable>/v`. A `tf.Optimizer`: use it in `model.compile({ optimizer })` or
 * `optimizer.minimize(f)`; it serializes (`getConfig`, registered as `RegulabAdamW`). On tfjs's
 * CPU backend with Regulab's fast kernels each variable is updated in one pass (./fused-update.ts).
 */
export class AdamW extends DecoupledWeightDecayOptimizer {
  static readonly className = 'RegulabAdamW';
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;

  constructor(args: AdamWArgs) {
    super('rl.optimizers.adamw', args);
    this.beta1 = checkRate('rl.optimizers.adamw', 'beta1', args.beta1 ?? 0.9);
    this.beta2 = checkRate('rl.optimizers.adamw', 'beta2', args.beta2 ?? 0.999);
    this.epsilon = checkPositive('rl.optimizers.adamw', 'epsilon', args.epsilon ?? 1e-8);
  }

  protected get slotNames(): readonly string[] {
    return ['m', 'v'];
  }

  protected override fusedStep(lr: number, step: number): FusedStep {
    const t = step + 1;
    return {
      kind: OPTIMIZER_KIND.adam,
      params: [
        lr,
        this.beta1,
        1 - this.beta1,
        this.beta2,
        1 - this.beta2,
        this.epsilon,
        1 - this.beta1 ** t,
        1 - this.beta2 ** t,
      ],
    };
  }

  protected updateVariable(
    variable: tf.Variable,
    g: tf.Tensor,
    slots: Slots,
    lr: number,
    step: number,
  ): void {
    const t = step + 1;
    const m = slots.get('m')!;
    const v = slots.get('v')!;
    m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1))); // [..w]
    v.assign(tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2))); // [..w]
    const mHat = tf.div(m, 1 - this.beta1 ** t);
    const vHat = tf.div(v, 1 - this.beta2 ** t);
    const stepTensor = tf.div(mHat, tf.add(tf.sqrt(vHat), this.epsilon));
    variable.assign(tf.sub(variable, tf.mul(stepTensor, lr)));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}
tf.serialization.registerClass(AdamW);

/**
 * Creates an AdamW optimizer (see `AdamW`).
 *
 * ```ts
 * model.compile({ optimizer: rl.optimizers.adamw({ learningRate: 1e-3, weightDecay: 0.01, exclude: ['bias'] }), loss });
 * ```
 */
export function adamw(args: AdamWArgs): AdamW {
  return new AdamW(args);
}

/**
 * Adam (Kingma & Ba, ICLR 2015): AdamW with weightDecay 0, the same update as `tf.train.adam`
 * with ε = 1e-8 by default, in one pass per variable on the CPU backend (see `AdamW`).
 *
 * ```ts
 * model.compile({ optimizer: rl.optimizers.adam({ learningRate: 1e-3 }), loss });
 * ```
 */
export function adam(args: Omit<AdamWArgs, 'weightDecay' | 'exclude'>): AdamW {
  return new AdamW({ ...args, weightDecay: 0 });
}
