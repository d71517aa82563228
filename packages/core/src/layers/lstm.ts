/**
 * `rl.layers.lstm`: an LSTM layer in which every recurrent regularizer is an option.
 *
 *   i, f, o = σ(W·x_t + U·h_{t−1} + b)   (gate order i, f, c, o; σ = recurrentActivation, sigmoid)
 *   g = φ(W_c·x_t + U_c·h_{t−1} + b_c)     (φ = activation, tanh)
 *   c_t = f ⊙ c_{t−1} + i ⊙ g,  h_t = o ⊙ φ(c_t)
 *
 * Regularizers (each its paper's; docs/recurrent.md has the equations and advice on rates):
 * `dropout` (Gal input mask), `recurrentDropout` with mode 'gal' (mask on h_{t−1} in U·h) or
 * 'semeniuta' (mask on g only), `zoneoutCell` / `zoneoutHidden` (Krueger et al.), `weightDrop`
 * (DropConnect on U, Merity et al.), `normalization` 'layer' | 'batch' (Ba et al.; Cooijmans et al.),
 * `normStabilizer` (Krueger & Memisevic).
 *
 * tf.layers.lstm's options keep tfjs's meaning (./recurrent/options.ts): the weight regularizers'
 * penalties reach `fit`'s and `trainOnBatch`'s loss (tfjs's own LSTM loses them on its inner cell),
 * the constraints are projected by rl.callbacks.applyConstraints() / rl.constraints.applyConstraints,
 * `useBias: false` drops the bias, `implementation` and `unroll` have no effect on the result. With
 * `weightDrop`, `recurrentRegularizer` and `recurrentConstraint` act on the raw U, not the dropped one.
 *
 * Shapes: x [B, T, D] → [B, T, H] (returnSequences) or [B, H]; returnState adds h [B, H], c [B, H].
 * Weights (tf.layers.lstm's layout and names): kernel [D, 4H], recurrent_kernel [H, 4H], bias [4H]
 * (none with useBias false);
 * with normalization also gamma_x, gamma_h [4H], gamma_c, beta_c [H] (+ moving statistics for 'batch').
 *
 * Training: masks drawn fresh every call from the layer's seed stream. Inference: no dropout or
 * weight-drop; zoneout by its expectation (zoneoutAtInference); batch norm uses moving statistics.
 * With every regularizer off, the outputs equal tf.layers.lstm's for the same weights and activations.
 * The sequence runs in `lstmSequence` from @regulab/kernels (native, wasm or reference); with
 * normalization too where the kernels take it (native and wasm: ./recurrent/kernel-normalization.ts),
 * else (reference, stateHook) in the tfjs reference op with norm hooks.
 */
import * as tf from '@tensorflow/tfjs';
import {
  lstmSequence,
  referenceLstmSequence,
  type LstmSequenceInputs,
  type LstmSequenceOutputs,
  type LstmStepHooks,
} from '@regulab/kernels';
import { RegulabConfigError } from '../util/validate.js';
import { buildLstmNorm, type LstmNormWeights, lstmNormHooks } from './recurrent/lstm-normalization.js';
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

export interface LstmArgs extends RecurrentOptions, NormOptions {
  /** Zoneout probability of the cell: c_t keeps c_{t−1} with this probability (char PTB: 0.5). */
  zoneoutCell?: number;
  /** Zoneout probability of the hidden state (char PTB: 0.05). */
  zoneoutHidden?: number;
  /**
   * Forget-gate bias initialised to 1 (default true, as Keras and the zoneout paper; tfjs defaults
   * to false). Nothing to initialise with useBias false.
   */
  unitForgetBias?: boolean;
}

const LSTM_OPTIONS = ['zoneoutCell', 'zoneoutHidden', ...NORM_OPTIONS, 'unitForgetBias'] as const;

/** The LSTM's types and sequence ops (RecurrentLayer). */
interface LstmCell {
  inputs: LstmSequenceInputs;
  outputs: LstmSequenceOutputs;
  hooks: LstmStepHooks;
  norm: LstmNormWeights;
}
const LSTM_SEQUENCE: CellSequence<LstmCell> = {
  run: lstmSequence,
  reference: referenceLstmSequence,
  normHooks: lstmNormHooks,
};

export class Lstm extends RecurrentLayer<LstmCell> {
  static className = 'RegulabLSTM';
  protected readonly numStates = 2;
  protected readonly gates = 4;
  readonly zoneoutCell: number;
  readonly zoneoutHidden: number;
  readonly unitForgetBias: boolean;
  protected readonly cell = LSTM_SEQUENCE;

  constructor(args: LstmArgs) {
    const owner = 'rl.layers.lstm';
    checkKnownOptions(owner, args ?? {}, LSTM_OPTIONS);
    super(owner, args, resolveRecurrentOptions(owner, args));
    this.zoneoutCell = resolveZoneout(owner, 'zoneoutCell', args.zoneoutCell);
    this.zoneoutHidden = resolveZoneout(owner, 'zoneoutHidden', args.zoneoutHidden);
    if (args.unitForgetBias !== undefined && typeof args.unitForgetBias !== 'boolean') {
      throw new RegulabConfigError(
        `${owner}: option 'unitForgetBias' must be a boolean, got ${String(args.unitForgetBias)}`,
      );
    }
    this.unitForgetBias = args.unitForgetBias ?? true;
  }

  protected zoneoutRates(): { cell: number; hidden: number } {
    return { cell: this.zoneoutCell, hidden: this.zoneoutHidden };
  }

  protected buildWeights(inputDim: number, steps: number | null): void {
    const units = this.options.units;
    const bias = this.addStandardWeights(inputDim, [4 * units]);
    if (bias !== null && this.unitForgetBias) {
      // The forget block starts at 1 (Jozefowicz et al. 2015), the rest from biasInitializer.
      const b = bias.read();
      bias.write(
        tf.tidy(() =>
          tf.concat([tf.slice(b, 0, units), tf.ones([units]), tf.slice(b, 2 * units, 2 * units)]),
        ),
      );
    }
    this.buildNorm(steps, buildLstmNorm);
  }

  protected runSequence(
    x: tf.Tensor3D,
    states: tf.Tensor2D[],
    masks: CallMasks,
    stepMask: tf.Tensor2D | undefined,
    training: boolean,
  ): SequenceResult {
    const inputs: LstmSequenceInputs = {
      ...this.sequenceInputs(x, states[0]!, masks, stepMask, training),
      c0: states[1]!,
      bias: this.biasValue([4 * this.options.units]) as tf.Tensor1D, // [4H]
      zoneoutCell: masks.zoneoutCell,
    };
    const out = this.runCellSequence(inputs, training);
    return { sequence: out.sequence, states: [out.h, out.c] };
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      zoneoutCell: this.zoneoutCell,
      zoneoutHidden: this.zoneoutHidden,
      unitForgetBias: this.unitForgetBias,
    } as tf.serialization.ConfigDict;
  }
}

/** Creates an `rl.layers.lstm` layer (see Lstm). */
export function lstm(args: LstmArgs): Lstm {
  return new Lstm(args);
}

tf.serialization.registerClass(Lstm);
