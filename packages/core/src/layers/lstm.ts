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
  fusedCanNormalize,
  lstmSequence,
  referenceLstmSequence,
  type LstmSequenceInputs,
  type LstmStepHooks,
} from '@regulab/kernels';
import { RegulabConfigError } from '../util/validate.js';
import { kernelNormalization, moveBatchStatistics } from './recurrent/kernel-normalization.js';
import { buildLstmNorm, type LstmNormWeights, lstmNormHooks } from './recurrent/lstm-normalization.js';
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

export class Lstm extends RecurrentLayer {
  static className = 'RegulabLSTM';
  protected readonly numStates = 2;
  protected readonly gates = 4;
  readonly zoneoutCell: number;
  readonly zoneoutHidden: number;
  readonly normalization: Normalization;
  readonly layerNormScope: LayerNormScope;
  readonly normMaxSteps: number | null;
  readonly normMomentum: number;
  readonly unitForgetBias: boolean;
  private norm: LstmNormWeights | null = null;
  /**
   * Instrumentation, not a regularizer: when set, every call runs on the tfjs reference op and
   * passes each step's states (h_t, c_t after zoneout) through this hook (see LstmStepHooks.state),
   * e.g. to record them or to add a zero whose gradient is ∂L/∂h_t (gradientNormsHook: the same
   * norms from the fast kernels). Not serialized.
   */
  stateHook: LstmStepHooks['state'] | null = null;

  constructor(args: LstmArgs) {
    const owner = 'rl.layers.lstm';
    checkKnownOptions(owner, args ?? {}, LSTM_OPTIONS);
    super(owner, args, resolveRecurrentOptions(owner, args));
    this.zoneoutCell = resolveZoneout(owner, 'zoneoutCell', args.zoneoutCell);
    this.zoneoutHidden = resolveZoneout(owner, 'zoneoutHidden', args.zoneoutHidden);
    const norm = resolveNormOptions(owner, args);
    this.normalization = norm.normalization;
    this.layerNormScope = norm.layerNormScope;
    this.normMaxSteps = norm.normMaxSteps;
    this.normMomentum = norm.normMomentum;
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
    if (this.normalization !== 'none') {
      const where = `${this.owner} '${this.name}'`;
      const maxSteps = normStepsAtBuild(where, this.normalization, this.normMaxSteps, steps);
      this.norm = buildLstmNorm(this.normalization, units, maxSteps, (name, shape, initializer, trainable) =>
        this.addWeight(name, shape, 'float32', initializer, undefined, trainable),
      );
    }
  }

  protected runSequence(
    x: tf.Tensor3D,
    states: tf.Tensor2D[],
    masks: CallMasks,
    stepMask: tf.Tensor2D | undefined,
    training: boolean,
  ): SequenceResult {
    const rawRecurrent = this.recurrentKernel!.read() as tf.Tensor2D; // [H, 4H]
    const inputs: LstmSequenceInputs = {
      x,
      h0: states[0]!,
      c0: states[1]!,
      kernel: this.kernel!.read() as tf.Tensor2D,
      recurrentKernel: masks.weightDrop ? tf.mul(rawRecurrent, masks.weightDrop) : rawRecurrent,
      bias: this.biasValue([4 * this.options.units]) as tf.Tensor1D, // [4H]
      recurrentMask: masks.recurrent,
      candidateMask: masks.candidate,
      zoneoutCell: masks.zoneoutCell,
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
        ? referenceLstmSequence(inputs, { state })
        : lstmSequence(this.withGradientNorms(inputs));
      return { sequence: out.sequence, states: [out.h, out.c] };
    }
    if (!state && fusedCanNormalize(inputs)) {
      const norm = this.norm!;
      const out = lstmSequence({
        ...inputs,
        normalization: kernelNormalization(this.normalization, this.layerNormScope, norm, training),
      });
      if (out.batchStats) moveBatchStatistics(norm, out.batchStats, this.normMomentum);
      return { sequence: out.sequence, states: [out.h, out.c] };
    }
    this.noteNormalizationFallback(this.normalization);
    const norm = lstmNormHooks(
      this.normalization,
      this.layerNormScope,
      this.norm!,
      training,
      this.normMomentum,
    );
    const out = referenceLstmSequence(inputs, { ...norm.hooks, state });
    norm.finish();
    return { sequence: out.sequence, states: [out.h, out.c] };
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      zoneoutCell: this.zoneoutCell,
      zoneoutHidden: this.zoneoutHidden,
      normalization: this.normalization,
      layerNormScope: this.layerNormScope,
      normMaxSteps: this.normMaxSteps,
      normMomentum: this.normMomentum,
      unitForgetBias: this.unitForgetBias,
    } as tf.serialization.ConfigDict;
  }
}

/** Creates an `rl.layers.lstm` layer (see Lstm). */
export function lstm(args: LstmArgs): Lstm {
  return new Lstm(args);
}

tf.serialization.registerClass(Lstm);
