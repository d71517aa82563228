/**
 * RMSProp (Tieleman & Hinton, 2012, Coursera lecture 6.5) as TensorFlow and `tf.train.rmsprop`
 * define it, with Regulab's decoupled weight decay and gradient clipping.
 */
import * as tf from '@tensorflow/tfjs';
import { OPTIMIZER_KIND } from '@regulab/kernels';
import { RegulabConfigError, checkPositive, checkRate } from '../util/validate.js';
import {
  type DecoupledWeightDecayArgs,
  DecoupledWeightDecayOptimizer,
  type Slots,
} from './decoupled-weight-decay.js';
import type { FusedStep } from './fused-update.js';

const OWNER = 'rl.optimizers.rmsprop';

export interface RMSPropArgs extends Omit<DecoupledWeightDecayArgs, 'weightDecay'> {
  /** λ of decoupled weight decay (w ← w − lr·λ·w before the step). Default 0. */
  weightDecay?: number;
  /** Decay ρ of the mean square. Default 0.9 (tfjs and Keras; PyTorch's alpha is 0.99). */
  rho?: number;
  /** Momentum μ. Default 0. */
  momentum?: number;
  /** Added to the mean square inside the root. Default 1e-7 (tfjs's CPU default). */
  epsilon?: number;
}

/**
 * RMSProp. At each step, for each variable w with clipped gradient g:
 *
 *     w   ← w − lr·λ·w                       (decoupled decay; skipped for names matching `exclude`)
 *     ms  ← ρ·ms + (1 − ρ)·g²
 *     d   ← lr·g / sqrt(ms + ε)
 *     mom ← μ·mom + d,  w ← w − mom          (μ > 0; else w ← w − d)
 *
 * This is `tf.train.rmsprop` (TensorFlow's ApplyRMSProp, ε inside the root, non-centred) when
 * λ = 0, and it matches it step for step (tested). Shapes: ms and mom have each variable's shape.
 * State: `getWeights()` gives `iter` then `<variable>/ms` (and `/mom`). On tfjs's CPU backend with
 * Regulab's fast kernels each variable is updated in one pass. Registered as `RegulabRMSProp`.
 */
export class RMSProp extends DecoupledWeightDecayOptimizer {
  static readonly className = 'RegulabRMSProp';
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;

  constructor(args: RMSPropArgs) {
    super(OWNER, withDecay(args));
    this.rho = checkRate(OWNER, 'rho', args.rho ?? 0.9);
    this.momentum = checkRate(OWNER, 'momentum', args.momentum ?? 0);
    this.epsilon = checkPositive(OWNER, 'epsilon', args.epsilon ?? 1e-7);
  }

  protected get slotNames(): readonly string[] {
    return this.momentum > 0 ? ['ms', 'mom'] : ['ms'];
  }

  protected override fusedStep(lr: number): FusedStep {
    return {
      kind: OPTIMIZER_KIND.rmsprop,
      params: [lr, this.rho, 1 - this.rho, this.epsilon, this.momentum],
    };
  }

  protected updateVariable(variable: tf.Variable, g: tf.Tensor, slots: Slots, lr: number): void {
    const ms = slots.get('ms')!;
    ms.assign(tf.add(tf.mul(ms, this.rho), tf.mul(tf.square(g), 1 - this.rho))); // [..w]
    let step = tf.div(tf.mul(g, lr), tf.sqrt(tf.add(ms, this.epsilon))); // [..w]
    if (this.momentum > 0) {
      const mom = slots.get('mom')!;
      mom.assign(tf.add(tf.mul(mom, this.momentum), step));
      step = mom;
    }
    variable.assign(tf.sub(variable, step));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rho: this.rho, momentum: this.momentum, epsilon: this.epsilon };
  }
}
tf.serialization.registerClass(RMSProp);

/** The shared options with weightDecay defaulting to 0 (the base class checks the rest). */
function withDecay(args: RMSPropArgs): DecoupledWeightDecayArgs {
  if (args == null || typeof args !== 'object') {
    throw new RegulabConfigError(`${OWNER}: expected an options object, got ${String(args)}`);
  }
  return { ...args, weightDecay: args.weightDecay ?? 0 };
}

/**
 * Creates an RMSProp optimizer (see `RMSProp`).
 *
 * ```ts
 * model.compile({ optimizer: rl.optimizers.rmsprop({ learningRate: 1e-3, clipNorm: 1 }), loss });
 * ```
 */
export function rmsprop(args: RMSPropArgs): RMSProp {
  return new RMSProp(args);
}
