/**
 * `rl.layers.gru`: a GRU layer with the recurrent regularizers that apply to it.
 *
 *   z = σ(W_z·x_t + U_z·h_{t−1} + b_z),  r = σ(W_r·x_t + U_r·h_{t−1} + b_r)   (gate order z, r, h)
 *   reset-before (tfjs): h̃ = φ(W_h·x_t + U_h·(r ⊙ h_{t−1}) + b_h)
 *   reset-after (Keras default, resetAfter: true): h̃ = φ(W_h·x_t + b_h + r ⊙ (U_h·h_{t−1} + b'_h))
 *   h_t = z ⊙ h_{t−1} + (1 − z) ⊙ h̃
 *
 * Regularizers: `dropout` (Gal input mask), `recurrentDropout` 'gal' (mask on h_{t−1} where it
 * enters U) or 'semeniuta' (mask on h̃), `zoneout` (one rate for h, Krueger et al.), `weightDrop`
 * (DropConnect on U), `normalization` 'layer' | 'batch' of W·x_t and U·h_{t−1} (Ba et al.; Cooijmans et
 * al.; ./recurrent/gru-normalization.ts has the variant), `normStabilizer`.
 *
 * tf.layers.gru's options keep tfjs's meaning, as for rl.layers.lstm (weight penalties in the loss,
 * constraints projected by applyConstraints, useBias false, implementation / unroll without effect);
 * with `weightDrop`, the recurrent penalty and constraint act on the raw U.
 *
 * Shapes: x [B, T, D] → [B, T, H] or [B, H]; returnState adds h [B, H]. Weights as tf.layers.gru:
 * kernel [D, 3H], recurrent_kernel [H, 3H], bias [3H] (reset-before) or [2, 3H] (reset-after: row 0
 * input bias, row 1 recurrent bias, as Keras stores it, so Keras-default GRU weights load); with
 * normalization also gamma_x, gamma_h [3H] (+ moving statistics [normMaxSteps, 3H] for 'batch').
 *
 * Training: fresh masks every call. Inference: no dropout; zoneout by its expectation by default;
 * batch norm uses the per-step moving statistics. The sequence runs in `gruSequence` from
 * @regulab/kernels (native, wasm or reference); with normalization too where the kernels take it
 * (native and wasm: ./recurrent/kernel-normalization.ts), else (reference, stateHook) in the tfjs
 * reference op with norm hooks. Instrumentation as the LSTM's (RecurrentLayer): `stateHook`
 * (reference op) and `gradientNormsHook` (per-step ‖∂L/∂h_t‖ from the fast kernels' backward).
 */
import * as tf from '@tensorflow/tfjs';
import {
  gruSequence,
  type GruSequenceInputs,
  type GruSequenceOutputs,
  type GruStepHooks,
  referenceGruSequence,
} from '@regulab/kernels';
import { RegulabConfigError } from '../util/validate.js';
import { buildGruNorm, type GruNormWeights, gruNormHooks } from './recurrent/gru-normalization.js';
import type { CallMasks } from './recurrent/masks.js';
import {
  checkKnownOptions,
  NORM_OPTIONS,
  type NormOptions,
  type RecurrentOptions,
  resolveRecurrentOptions,
  resolveZoneout,
} from './recurrent/options.js';
import type { CellSequence } from './recurrent/cell-sequence.js';
import { RecurrentLayer, type SequenceResult } from './recurrent/recurrent-layer.js';

export interface GruArgs extends RecurrentOptions, NormOptions {
  /** Zoneout probability of h (permuted MNIST: 0.15). */
  zoneout?: number;
  /** Keras's reset-after GRU (bias [2, 3H]); default false, as tfjs. */
  resetAfter?: boolean;
}

/** The GRU's types and sequence ops (RecurrentLayer). */
interface GruCell {
  inputs: GruSequenceInputs;
  outputs: GruSequenceOutputs;
  hooks: GruStepHooks;
  norm: GruNormWeights;
}
const GRU_SEQUENCE: CellSequence<GruCell> = {
  run: gruSequence,
  reference: referenceGruSequence,
  normHooks: gruNormHooks,
};

export class Gru extends RecurrentLayer<GruCell> {
  static className = 'RegulabGRU';
  protected readonly numStates = 1;
  protected readonly gates = 3;
  readonly zoneout: number;
  readonly resetAfter: boolean;
  protected readonly cell = GRU_SEQUENCE;

  constructor(args: GruArgs) {
    const owner = 'rl.layers.gru';
    checkKnownOptions(owner, args ?? {}, ['zoneout', 'resetAfter', ...NORM_OPTIONS]);
    super(owner, args, resolveRecurrentOptions(owner, args));
    this.zoneout = resolveZoneout(owner, 'zoneout', args.zoneout);
    if (args.resetAfter !== undefined && typeof args.resetAfter !== 'boolean') {
      throw new RegulabConfigError(
        `${owner}: option 'resetAfter' must be a boolean, got ${String(args.resetAfter)}`,
      );
    }
    this.resetAfter = args.resetAfter ?? false;
  }

  protected zoneoutRates(): { cell: number; hidden: number } {
    return { cell: 0, hidden: this.zoneout };
  }

  protected buildWeights(inputDim: number, steps: number | null): void {
    this.addStandardWeights(inputDim, this.biasShape());
    this.buildNorm(steps, buildGruNorm);
  }

  /** [3H], or [2, 3H] reset-after (row 0 input bias, row 1 recurrent bias). */
  private biasShape(): number[] {
    const width = 3 * this.options.units;
    return this.resetAfter ? [2, width] : [width];
  }

  protected runSequence(
    x: tf.Tensor3D,
    states: tf.Tensor2D[],
    masks: CallMasks,
    stepMask: tf.Tensor2D | undefined,
    training: boolean,
  ): SequenceResult {
    const inputs: GruSequenceInputs = {
      ...this.sequenceInputs(x, states[0]!, masks, stepMask, training),
      bias: this.biasValue(this.biasShape()) as tf.Tensor1D | tf.Tensor2D, // [3H] or [2, 3H]
      resetAfter: this.resetAfter,
    };
    const out = this.runCellSequence(inputs, training);
    return { sequence: out.sequence, states: [out.h] };
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      zoneout: this.zoneout,
      resetAfter: this.resetAfter,
    } as tf.serialization.ConfigDict;
  }
}

/** Creates an `rl.layers.gru` layer (see Gru). */
export function gru(args: GruArgs): Gru {
  return new Gru(args);
}

tf.serialization.registerClass(Gru);
