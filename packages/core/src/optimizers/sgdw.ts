/**
 * SGDW: SGD (with optional momentum / Nesterov momentum) and decoupled weight decay
 * (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019).
 */
import * as tf from '@tensorflow/tfjs';
import { OPTIMIZER_KIND } from '@regulab/kernels';
import { RegulabConfigError } from '../util/validate.js';
import {
  type DecoupledWeightDecayArgs,
  DecoupledWeightDecayOptimizer,
  type Slots,
} from './decoupled-weight-decay.js';
import type { FusedStep } from './fused-update.js';

export interface SGDWArgs extends DecoupledWeightDecayArgs {
  /** Momentum μ in [0, 1). Default 0 (plain SGD, no state). */
  momentum?: number;
  /** Nesterov momentum (needs momentum > 0). Default false. */
  nesterov?: boolean;
}

/**
 * SGDW. For each variable w with clipped gradient g (PyTorch's SGD momentum convention, dampening 0):
 *
 *     w ← w − lr_t·λ·w                  (skipped for names matching `exclude`)
 *     b ← μ·b + g                       (b starts at 0, so b = g after the first step)
 *     d = g + μ·b  if nesterov,  d = b  otherwise   (d = g when μ = 0)
 *     w ← w − lr_t·d
 *
 * For a constant learning rate this equals Keras's form (velocity ← μ·velocity − lr·g). The paper
 * scales the decay by the schedule multiplier η_t; here it is lr_t·λ, as PyTorch/Keras do (meaning 3
 * in docs/weight-decay.md).
 *
 * Shapes: the momentum buffer has each variable's shape. State: `getWeights()` gives `iter` then
 * `<variable>/momentum` (none when μ = 0). Registered for serialization as `RegulabSGDW`.
 */
export class SGDW extends DecoupledWeightDecayOptimizer {
  static readonly className = 'RegulabSGDW';
  readonly momentum: number;
  readonly nesterov: boolean;

  constructor(args: SGDWArgs) {
    super('rl.optimizers.sgdw', args);
    const momentum = args.momentum ?? 0;
    if (typeof momentum !== 'number' || !(momentum >= 0 && momentum < 1)) {
      throw new RegulabConfigError(
        `rl.optimizers.sgdw: option 'momentum' must be a number in [0, 1), got ${String(momentum)}`,
      );
    }
    const nesterov = args.nesterov ?? false;
    if (typeof nesterov !== 'boolean') {
      throw new RegulabConfigError(
        `rl.optimizers.sgdw: option 'nesterov' must be a boolean, got ${String(nesterov)}`,
      );
    }
    if (nesterov && momentum === 0) {
      throw new RegulabConfigError(
        `rl.optimizers.sgdw: option 'nesterov' needs momentum > 0, got momentum ${momentum}`,
      );
    }
    this.momentum = momentum;
    this.nesterov = nesterov;
  }

  protected get slotNames(): readonly string[] {
    return this.momentum > 0 ? ['momentum'] : [];
  }

  protected override fusedStep(lr: number): FusedStep {
    return { kind: OPTIMIZER_KIND.sgd, params: [lr, this.momentum, this.nesterov ? 1 : 0] };
  }

  protected updateVariable(variable: tf.Variable, g: tf.Tensor, slots: Slots, lr: number): void {
    let direction = g;
    if (this.momentum > 0) {
      const buffer = slots.get('momentum')!;
      buffer.assign(tf.add(tf.mul(buffer, this.momentum), g)); // b ← μ·b + g
      direction = this.nesterov ? tf.add(g, tf.mul(buffer, this.momentum)) : buffer;
    }
    variable.assign(tf.sub(variable, tf.mul(direction, lr)));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), momentum: this.momentum, nesterov: this.nesterov };
  }
}
tf.serialization.registerClass(SGDW);

/**
 * Creates an SGDW optimizer (see `SGDW`).
 *
 * ```ts
 * rl.optimizers.sgdw({ learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4, exclude: ['bias'] });
 * ```
 */
export function sgdw(args: SGDWArgs): SGDW {
  return new SGDW(args);
}
