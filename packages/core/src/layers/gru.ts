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
 * reference op with norm hooks. Instrumentation as the LSTM's: `stateHook` (reference op) and
 * `gradientNormsHook` (per-step ‖∂L/∂h_t‖ from the fast kernels' backward; RecurrentLayer).
 */
import * as tf from '@tensorflow/tfjs';
import {
  fusedCanNormalize,
  gruSequence,
  type GruSequenceInputs,
  type GruStepHooks,
  referenceGruSequence,
} from '@regulab/kernels';
import { RegulabConfigError } from '../util/validate.js';
import { buildGruNorm, type GruNormWeights, gruNormHooks } from './recurrent/gru-normalization.js';
import { kernelNormalization, moveBatchStatistics } from './recurrent/kernel-normalization.js';
import type { CallMasks } from './recurrent/masks.js';
import {
  checkKnownOptions,
  type LayerNormScope,
  NORM_OPTIONS,
  type Normalization,
  type NormOptions,
  type RecurrentOptions,
  resolveNormOptions,
  resolveRecurrentOptions,
  resolveZoneout,
} from './recurrent/options.js';
import { RecurrentLayer, type SequenceResult } from './recurrent/recurrent-layer.js';
import { normStepsAtBuild } from './recurrent/step-normalization.js';

export interface GruArgs extends RecurrentOptions, NormOptions {
  /** Zoneout probability of h (permuted MNIST: 0.15). */
  zoneout?: number;
  /** Keras's reset-after GRU (bias [2, 3H]); default false, as tfjs. */
  resetAfter?: boolean;
}

export class Gru extends RecurrentLayer {
  static className = 'RegulabGRU';
  protected readonly numStates = 1;
  protected readonly gates = 3;
  readonly zoneout: number;
  readonly resetAfter: boolean;
  readonly normalization: Normalization;
  readonly layerNormScope: LayerNormScope;
  readonly normMaxSteps: number | null;
  readonly normMomentum: number;
  private norm: GruNormWeights | null = null;
  /**
   * Instrumentation, as rl.layers.lstm's: when set, every call runs on the tfjs reference op and
   * passes each step's h_t (after zoneout) through this hook (GruStepHooks.state). Not serialized.
   */
  stateHook: GruStepHooks['state'] | null = null;

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
    const norm = resolveNormOptions(owner, args);
    this.normalization = norm.normalization;
    this.layerNormScope = norm.layerNormScope;
    this.normMaxSteps = norm.normMaxSteps;
    this.normMomentum = norm.normMomentum;
    this.resetAfter = args.resetAfter ?? false;
  }

  protected zoneoutRates(): { cell: number; hidden: number } {
    return { cell: 0, hidden: this.zoneout };
  }

  protected buildWeights(inputDim: number, steps: number | null): void {
    const units = this.options.units;
    this.addStandardWeights(inputDim, this.biasShape());
    if (this.normalization !== 'none') {
      const where = `${this.owner} '${this.name}'`;
      const maxSteps = normStepsAtBuild(where, this.normalization, this.normMaxSteps, steps);
      this.norm = buildGruNorm(this.normalization, units, maxSteps, (name, shape, initializer, trainable) =>
        this.addWeight(name, shape, 'float32', initializer, undefined, trainable),
      );
    }
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
    const rawRecurrent = this.recurrentKernel!.read() as tf.Tensor2D; // [H, 3H]
    const inputs: GruSequenceInputs = {
      x,
      h0: states[0]!,
      kernel: this.kernel!.read() as tf.Tensor2D,
      recurrentKernel: masks.weightDrop ? tf.mul(rawRecurrent, masks.weightDrop) : rawRecurrent,
      bias: this.biasValue(this.biasShape()) as tf.Tensor1D | tf.Tensor2D,
      resetAfter: this.resetAfter,
      recurrentMask: masks.recurrent,
      candidateMask: masks.candidate,
      zoneoutHidden: masks.zoneoutHidden,
      zoneoutSeeded: masks.zoneoutSeeded,
      dropoutSeeded: masks.dropoutSeeded,
      stepMask,
      goBackwards: this.options.goBackwards,
      sequenceOutput: this.needsSequence(training),
      activation: this.options.activation,
      recurrentActivation: this.options.recurrentActivation,
    };
    const state = this.stateHook ?? undefined;
    if (this.normalization === 'none') {
      const out = state
        ? referenceGruSequence(inputs, { state })
        : gruSequence(this.withGradientNorms(inputs));
      return { sequence: out.sequence, states: [out.h] };
    }
    if (!state && fusedCanNormalize(inputs)) {
      const norm = this.norm!;
      const out = gruSequence({
        ...inputs,
        normalization: kernelNormalization(this.normalization, this.layerNormScope, norm, training),
      });
      if (out.batchStats) moveBatchStatistics(norm, out.batchStats, this.normMomentum);
      return { sequence: out.sequence, states: [out.h] };
    }
    this.noteNormalizationFallback(this.normalization);
    const norm = gruNormHooks(
      this.normalization,
      this.layerNormScope,
      this.norm!,
      training,
      this.normMomentum,
    );
    const out = referenceGruSequence(inputs, { ...norm.hooks, state });
    norm.finish();
    return { sequence: out.sequence, states: [out.h] };
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      zoneout: this.zoneout,
      resetAfter: this.resetAfter,
      normalization: this.normalization,
      layerNormScope: this.layerNormScope,
      normMaxSteps: this.normMaxSteps,
      normMomentum: this.normMomentum,
    } as tf.serialization.ConfigDict;
  }
}

/** Creates an `rl.layers.gru` layer (see Gru). */
export function gru(args: GruArgs): Gru {
  return new Gru(args);
}

tf.serialization.registerClass(Gru);
