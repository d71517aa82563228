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
 * (DropConnect on U), `normStabilizer`. Normalization is LSTM-only in this release.
 *
 * Shapes: x [B, T, D] → [B, T, H] or [B, H]; returnState adds h [B, H]. Weights as tf.layers.gru:
 * kernel [D, 3H], recurrent_kernel [H, 3H], bias [3H] (reset-before) or [2, 3H] (reset-after: row 0
 * input bias, row 1 recurrent bias, as Keras stores it, so Keras-default GRU weights load).
 *
 * Training: fresh masks every call. Inference: no dropout; zoneout by its expectation by default.
 */
import * as tf from '@tensorflow/tfjs';
import { gruSequence } from '@regulab/kernels';
import { RegulabConfigError } from '../util/validate.js';
import { type InitializerSpec, resolveInitializer, serializeInitializer } from './recurrent/initializers.js';
import type { CallMasks } from './recurrent/masks.js';
import {
  checkKnownOptions,
  type RecurrentOptions,
  resolveRecurrentOptions,
  resolveZoneout,
} from './recurrent/options.js';
import { RecurrentLayer, type SequenceResult } from './recurrent/recurrent-layer.js';
import { stripNulls } from './lstm.js';

export interface GruArgs extends RecurrentOptions {
  /** Zoneout probability of h (permuted MNIST: 0.15). */
  zoneout?: number;
  /** Keras's reset-after GRU (bias [2, 3H]); default false, as tfjs. */
  resetAfter?: boolean;
  /** Only 'none' for the GRU (accepted so configs shared with the LSTM validate clearly). */
  normalization?: 'none';
}

export class Gru extends RecurrentLayer {
  static className = 'RegulabGRU';
  protected readonly numStates = 1;
  protected readonly gates = 3;
  readonly zoneout: number;
  readonly resetAfter: boolean;
  private readonly initializerSpecs: Record<'kernel' | 'recurrent' | 'bias', InitializerSpec>;
  kernel: tf.LayerVariable | null = null; // [D, 3H]
  recurrentKernel: tf.LayerVariable | null = null; // [H, 3H]
  bias: tf.LayerVariable | null = null; // [3H] or [2, 3H]

  constructor(args: GruArgs) {
    const owner = 'rl.layers.gru';
    checkKnownOptions(owner, args ?? {}, ['zoneout', 'resetAfter', 'normalization']);
    super(owner, args, resolveRecurrentOptions(owner, args));
    this.zoneout = resolveZoneout(owner, 'zoneout', args.zoneout);
    if (args.resetAfter !== undefined && typeof args.resetAfter !== 'boolean') {
      throw new RegulabConfigError(
        `${owner}: option 'resetAfter' must be a boolean, got ${String(args.resetAfter)}`,
      );
    }
    if (args.normalization !== undefined && args.normalization !== 'none') {
      throw new RegulabConfigError(
        `${owner}: option 'normalization' must be 'none' for the GRU (layer/batch norm are LSTM-only), got ${JSON.stringify(args.normalization)}`,
      );
    }
    this.resetAfter = args.resetAfter ?? false;
    this.initializerSpecs = {
      kernel: args.kernelInitializer ?? 'glorotUniform',
      recurrent: args.recurrentInitializer ?? 'orthogonal',
      bias: args.biasInitializer ?? 'zeros',
    };
    for (const [k, spec] of Object.entries(this.initializerSpecs))
      resolveInitializer(owner, `${k}Initializer`, spec);
  }

  protected zoneoutRates(): { cell: number; hidden: number } {
    return { cell: 0, hidden: this.zoneout };
  }

  protected buildWeights(inputDim: number): void {
    const units = this.options.units;
    const seed = this.options.seed ?? undefined;
    const init = (k: 'kernel' | 'recurrent' | 'bias', salt: number) =>
      resolveInitializer(
        this.owner,
        `${k}Initializer`,
        this.initializerSpecs[k],
        seed === undefined ? undefined : seed + salt,
      );
    this.kernel = this.addWeight('kernel', [inputDim, 3 * units], 'float32', init('kernel', 1));
    this.recurrentKernel = this.addWeight(
      'recurrent_kernel',
      [units, 3 * units],
      'float32',
      init('recurrent', 2),
    );
    const biasShape = this.resetAfter ? [2, 3 * units] : [3 * units];
    this.bias = this.addWeight('bias', biasShape, 'float32', init('bias', 3));
  }

  protected runSequence(
    x: tf.Tensor3D,
    states: tf.Tensor2D[],
    masks: CallMasks,
    stepMask: tf.Tensor2D | undefined,
  ): SequenceResult {
    const rawRecurrent = this.recurrentKernel!.read() as tf.Tensor2D; // [H, 3H]
    const out = gruSequence({
      x,
      h0: states[0]!,
      kernel: this.kernel!.read() as tf.Tensor2D,
      recurrentKernel: masks.weightDrop ? tf.mul(rawRecurrent, masks.weightDrop) : rawRecurrent,
      bias: this.bias!.read() as tf.Tensor1D | tf.Tensor2D,
      resetAfter: this.resetAfter,
      recurrentMask: masks.recurrent,
      candidateMask: masks.candidate,
      zoneoutHidden: masks.zoneoutHidden,
      zoneoutSeeded: masks.zoneoutSeeded,
      stepMask,
      goBackwards: this.options.goBackwards,
      activation: this.options.activation,
      recurrentActivation: this.options.recurrentActivation,
    });
    return { sequence: out.sequence, states: [out.h] };
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      zoneout: this.zoneout,
      resetAfter: this.resetAfter,
      kernelInitializer: serializeInitializer(this.initializerSpecs.kernel),
      recurrentInitializer: serializeInitializer(this.initializerSpecs.recurrent),
      biasInitializer: serializeInitializer(this.initializerSpecs.bias),
    } as tf.serialization.ConfigDict;
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls(stripNulls(config)) as T;
  }
}

/** Creates an `rl.layers.gru` layer (see Gru). */
export function gru(args: GruArgs): Gru {
  return new Gru(args);
}

tf.serialization.registerClass(Gru);
