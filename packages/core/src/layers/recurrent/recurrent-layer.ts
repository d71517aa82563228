/**
 * The shared body of Regulab's LSTM and GRU layers: a real tfjs Layer (config, serialization,
 * masking, `training` kwarg, `returnState`, `initialState`, `stateful` + `resetStates`, any batch
 * size per call) around a fused sequence op. Subclasses supply the weights and one hook,
 * `runSequence`, which runs the op; everything stochastic is drawn here, once per call.
 *
 * Per call: x_t ← x_t ⊙ m_in (Gal input mask [B, D], training only; also inference calls inside
 * rl.inference's sampling context, which draw every training mask), the masks of
 * ./masks.ts are drawn from the layer's SeedStream (one seed per call, forked per mask kind),
 * the op runs, and in training calls the penalties of the outputs (`normStabilizer` β > 0, see
 * ./norm-stabilizer.ts; `activityRegularizer`) are queued for the loss. Stateful layers carry the
 * last states (never the masks) into the next call.
 *
 * tfjs's weight options keep tfjs's meaning: each weight is created by tfjs's `addWeight` with its
 * regularizer (so its penalty is among the layer's `losses`, which `fit` and `trainOnBatch` add to
 * the loss, as for tf.layers.dense) and its constraint (so rl.constraints.applyConstraints and
 * rl.callbacks.applyConstraints project it). tf.layers.lstm / gru hold these on an inner cell that
 * the model never asks for losses, so their penalties never reach the loss; here they do.
 *
 * Shapes: x [B, T, D] (optionally with initial states [B, H] ×numStates as extra inputs);
 * output [B, T, H] (returnSequences) or [B, H]; with returnState also the final states [B, H].
 */
import * as tf from '@tensorflow/tfjs';
import type { StateGradientNorms } from '@regulab/kernels';
import { drawSeed } from '../../inference/sampling-context.js';
import { SeedStream } from '../../random/seed-stream.js';
import { RegulabConfigError } from '../../util/validate.js';
import { type CallMasks, applySequenceMask, drawCallMasks } from './masks.js';
import { normStabilizerPenalty } from './norm-stabilizer.js';
import {
  type Constraint,
  type Regularizer,
  serializeIdentifier,
  tfjsConstraint,
  tfjsRegularizer,
} from '../tfjs-identifiers.js';
import {
  type Initializer,
  type InitializerSpec,
  resolveInitializer,
  serializeInitializer,
} from './initializers.js';
import {
  type BatchStatisticsSink,
  type CellSequence,
  type CellTypes,
  runCellSequence,
} from './cell-sequence.js';
import {
  type LayerNormScope,
  type Normalization,
  type NormOptions,
  type RecurrentOptions,
  type ResolvedRecurrentOptions,
  resolveNormOptions,
} from './options.js';
import { type AddWeight, type NormKind, normStepsAtBuild } from './step-normalization.js';

type WeightKind = 'kernel' | 'recurrent' | 'bias';
const WEIGHT_KINDS: readonly WeightKind[] = ['kernel', 'recurrent', 'bias'];

export type Kwargs = Parameters<tf.layers.Layer['call']>[1];
type Shape = (number | null)[];

export interface SequenceResult {
  sequence: tf.Tensor3D; // [B, T, H]
  states: tf.Tensor2D[]; // numStates × [B, H]
}

export abstract class RecurrentLayer<C extends CellTypes = CellTypes> extends tf.layers.Layer {
  readonly options: ResolvedRecurrentOptions;
  /** `normalization` and its options (./options.ts, NormOptions; each cell's variant in docs/recurrent.md). */
  readonly normalization: Normalization;
  readonly layerNormScope: LayerNormScope;
  readonly normMaxSteps: number | null;
  readonly normMomentum: number;
  /** Per-call seeds for every mask this layer draws (its `state` goes into checkpoints). */
  readonly seeds: SeedStream;
  /** 2 for the LSTM (h, c), 1 for the GRU (h). */
  protected abstract readonly numStates: number;
  /** Gate blocks in the kernels: 4 (LSTM) or 3 (GRU). */
  protected abstract readonly gates: number;
  /** The three weight initializers: names as given, anything else as the instance it resolves to. */
  protected readonly initializerSpecs: Record<WeightKind, string | Initializer>;
  /** Weight penalties (tfjs instances, null when unset), registered with each weight at build. */
  readonly regularizers: Record<WeightKind, Regularizer | null>;
  /** Weight projections (tfjs instances, null when unset), attached to each weight at build. */
  readonly constraints: Record<WeightKind, Constraint | null>;
  /**
   * Penalty of the outputs (Keras's activity regularizer). Not tfjs's `activityRegularizer` field:
   * tfjs's Layer.apply throws "not implemented" when that one is set.
   */
  readonly outputRegularizer: Regularizer | null;
  kernel: tf.LayerVariable | null = null; // [D, G·H]
  recurrentKernel: tf.LayerVariable | null = null; // [H, G·H]
  bias: tf.LayerVariable | null = null; // [G·H] (GRU reset-after: [2, G·H]); null when useBias is false
  /**
   * Instrumentation, not a regularizer: when set (and the call runs on the fast kernels: no
   * stateHook, a native or wasm backend, with or without normalization), each backward pass through the layer
   * hands it the per-step gradient norms ‖∂L/∂h_t‖ (and ‖∂L/∂c_t‖ for the LSTM; null for the GRU)
   * per example (StateGradientNorms), computed by the kernels' backward; nothing is computed when
   * unset. Not serialized.
   */
  gradientNormsHook: ((norms: StateGradientNorms) => void) | null = null;
  /**
   * Instrumentation, not a regularizer: when set, every call runs on the tfjs reference op and
   * passes each step's states (after zoneout and padding: h_t, and c_t for the LSTM) through this
   * hook (LstmStepHooks.state, GruStepHooks.state), e.g. to record them or to add a zero whose
   * gradient is ∂L/∂h_t (gradientNormsHook: the same norms from the fast kernels). Not serialized.
   */
  stateHook: NonNullable<C['hooks']['state']> | null = null;
  /**
   * Batch norm only, not a regularizer: when set, every call (inference calls too) normalises with
   * the batch's per-step statistics and hands them to this sink instead of moving the population
   * statistics (./cell-sequence.ts; rl.inference.recomputeBatchNormStatistics sets it for its
   * pass). Not serialized.
   */
  statisticsSink: BatchStatisticsSink | null = null;
  /** The cell's sequence ops (LSTM_SEQUENCE, GRU_SEQUENCE). */
  protected abstract readonly cell: CellSequence<C>;
  /** The normalization weights (buildNorm; null without normalization). */
  protected norm: C['norm'] | null = null;

  /** The normalization weights per quantity (x, h, and the LSTM's c); null before build or without normalization. */
  get normWeights(): Readonly<C['norm']> | null {
    return this.norm;
  }
  private states_: tf.Tensor2D[] | null = null;
  private staleStates: tf.Tensor[] = [];
  private pendingPenalty: tf.Scalar | null = null;

  constructor(
    protected readonly owner: string,
    args: RecurrentOptions & NormOptions,
    resolved: ResolvedRecurrentOptions,
  ) {
    super({
      name: args.name,
      trainable: args.trainable,
      inputShape: args.inputShape ?? undefined,
      batchInputShape: args.batchInputShape ?? undefined,
      batchSize: args.batchSize,
      inputDim: args.inputDim,
      inputLength: args.inputLength,
      dtype: args.dtype ?? undefined,
      inputDType: args.inputDType ?? undefined,
      weights: args.weights ?? undefined,
    } as ConstructorParameters<typeof tf.layers.Layer>[0]);
    this.options = resolved;
    const norm = resolveNormOptions(owner, args);
    this.normalization = norm.normalization;
    this.layerNormScope = norm.layerNormScope;
    this.normMaxSteps = norm.normMaxSteps;
    this.normMomentum = norm.normMomentum;
    // A backward layer (e.g. tf.layers.bidirectional's copy, same config and seed) gets its own stream.
    const stream = new SeedStream(resolved.seed);
    this.seeds = resolved.goBackwards ? stream.fork('goBackwards') : stream;
    this.supportsMasking = true;
    this._stateful = resolved.stateful;
    this.inputSpec = [new tf.InputSpec({ ndim: 3 })];
    this.regularizers = {
      kernel: tfjsRegularizer(owner, 'kernelRegularizer', args.kernelRegularizer),
      recurrent: tfjsRegularizer(owner, 'recurrentRegularizer', args.recurrentRegularizer),
      bias: tfjsRegularizer(owner, 'biasRegularizer', args.biasRegularizer),
    };
    this.constraints = {
      kernel: tfjsConstraint(owner, 'kernelConstraint', args.kernelConstraint),
      recurrent: tfjsConstraint(owner, 'recurrentConstraint', args.recurrentConstraint),
      bias: tfjsConstraint(owner, 'biasConstraint', args.biasConstraint),
    };
    this.outputRegularizer = tfjsRegularizer(owner, 'activityRegularizer', args.activityRegularizer);
    if (resolved.normStabilizer > 0 || this.outputRegularizer !== null) {
      this.addLoss(() => this.takePenalty());
    }
    // Resolved now so a bad initializer fails at construction; names are kept (build seeds them).
    const initializer = (kind: WeightKind, spec: InitializerSpec): string | Initializer => {
      const resolved = resolveInitializer(owner, `${kind}Initializer`, spec);
      return typeof spec === 'string' ? spec : resolved;
    };
    this.initializerSpecs = {
      kernel: initializer('kernel', args.kernelInitializer ?? 'glorotUniform'),
      recurrent: initializer('recurrent', args.recurrentInitializer ?? 'orthogonal'),
      bias: initializer('bias', args.biasInitializer ?? 'zeros'),
    };
  }

  /**
   * Creates `kernel` [D, G·H] and `recurrent_kernel` [H, G·H] (tfjs names and layout) and, unless
   * `useBias` is false, `bias` of `biasShape`, each with its regularizer and constraint. A seeded
   * layer seeds each initializer with its own offset of the seed. Returns the bias (or null).
   */
  protected addStandardWeights(inputDim: number, biasShape: number[]): tf.LayerVariable | null {
    const width = this.gates * this.options.units;
    const add = (kind: WeightKind, name: string, shape: number[]) => {
      const seed = this.options.seed;
      const init = resolveInitializer(
        this.owner,
        `${kind}Initializer`,
        this.initializerSpecs[kind],
        seed === null ? undefined : seed + 1 + WEIGHT_KINDS.indexOf(kind),
      );
      const regularizer = this.regularizers[kind] ?? undefined;
      const constraint = this.constraints[kind] ?? undefined;
      return this.addWeight(name, shape, 'float32', init, regularizer, true, constraint);
    };
    this.kernel = add('kernel', 'kernel', [inputDim, width]);
    this.recurrentKernel = add('recurrent', 'recurrent_kernel', [this.options.units, width]);
    this.bias = this.options.useBias ? add('bias', 'bias', biasShape) : null;
    return this.bias;
  }

  /** The bias the op adds: the weight, or (useBias false) a constant zero of `shape`. */
  protected biasValue(shape: number[]): tf.Tensor {
    return this.bias === null ? tf.zeros(shape) : this.bias.read();
  }

  /** Zoneout rates of this layer's states (cell, hidden). */
  protected abstract zoneoutRates(): { cell: number; hidden: number };

  /** Creates the weights for inputs with `inputDim` features (and `steps` time steps, when known). */
  protected abstract buildWeights(inputDim: number, steps: number | null): void;

  /**
   * Creates the normalization weights of a normalized layer with the cell's `build`
   * (buildLstmNorm, buildGruNorm), for `steps` time steps (batch norm's statistics).
   */
  protected buildNorm(
    steps: number | null,
    build: (kind: NormKind, units: number, maxSteps: number, add: AddWeight) => C['norm'],
  ): void {
    if (this.normalization === 'none') return;
    const where = `${this.owner} '${this.name}'`;
    const maxSteps = normStepsAtBuild(where, this.normalization, this.normMaxSteps, steps);
    this.norm = build(
      this.normalization,
      this.options.units,
      maxSteps,
      (name, shape, initializer, trainable) =>
        this.addWeight(name, shape, 'float32', initializer, undefined, trainable),
    );
  }

  /**
   * The sequence op's inputs that both cells take from a call: x [B, T, D], h0 [B, H], the kernels
   * (U with weight-drop's mask applied), the call's masks and the layer's options.
   */
  protected sequenceInputs(
    x: tf.Tensor3D,
    h0: tf.Tensor2D,
    masks: CallMasks,
    stepMask: tf.Tensor2D | undefined,
    training: boolean,
  ) {
    const rawRecurrent = this.recurrentKernel!.read() as tf.Tensor2D; // [H, G·H]
    return {
      x,
      h0,
      kernel: this.kernel!.read() as tf.Tensor2D, // [D, G·H]
      recurrentKernel: masks.weightDrop
        ? (tf.mul(rawRecurrent, masks.weightDrop) as tf.Tensor2D)
        : rawRecurrent,
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
  }

  /** Runs the cell's sequence on the op the call can take (./cell-sequence.ts, runCellSequence). */
  protected runCellSequence(inputs: C['inputs'], training: boolean): C['outputs'] {
    return runCellSequence(this.cell, inputs, {
      owner: this.owner,
      normalization: this.normalization,
      scope: this.layerNormScope,
      norm: this.norm,
      momentum: this.normMomentum,
      training,
      stateHook: this.stateHook,
      gradientNormsHook: this.gradientNormsHook,
      statisticsSink: this.statisticsSink,
    });
  }

  /** Whether a call needs h for every step (the output, or the norm stabilizer's penalty). */
  protected needsSequence(training: boolean): boolean {
    return this.options.returnSequences || (training && this.options.normStabilizer > 0);
  }

  /** Runs the fused op on the (input-dropped) sequence. All tensors are the call's to dispose. */
  protected abstract runSequence(
    x: tf.Tensor3D,
    states: tf.Tensor2D[],
    masks: CallMasks,
    stepMask: tf.Tensor2D | undefined,
    training: boolean,
  ): SequenceResult;

  override build(inputShape: Shape | Shape[]): void {
    const shape = firstShape(inputShape);
    if (shape.length !== 3 || shape[2] == null) {
      throw new RegulabConfigError(
        `${this.owner} '${this.name}': input must be [batch, time, features] with known features, got [${shape.join(', ')}]`,
      );
    }
    this.buildWeights(shape[2], shape[1] ?? null);
    // The batch stays free even when stateful: a mismatch with the held state gets a clear error in call().
    const xSpec = new tf.InputSpec({ shape: [null, null, shape[2]] });
    this.inputSpec = [xSpec, ...this.inputSpec.slice(1)];
    this.built = true;
  }

  /**
   * Accepts initial states as tfjs's RNN does: `apply(x, {initialState})` or `apply([x, ...states])`.
   * Symbolic states become extra inputs of the node; concrete ones travel in kwargs.
   */
  override apply(
    inputs: tf.Tensor | tf.Tensor[] | tf.SymbolicTensor | tf.SymbolicTensor[],
    kwargs?: Kwargs,
  ): tf.Tensor | tf.Tensor[] | tf.SymbolicTensor | tf.SymbolicTensor[] {
    const rest: Kwargs = { ...kwargs };
    let states = rest['initialState'] as (tf.Tensor | tf.SymbolicTensor)[] | tf.Tensor | undefined;
    delete rest['initialState'];
    let x = inputs;
    if (Array.isArray(inputs)) {
      if (inputs.length > 1) {
        if (states != null) {
          throw new RegulabConfigError(
            `${this.owner} '${this.name}': initial states given twice (inputs and initialState)`,
          );
        }
        states = inputs.slice(1) as tf.Tensor[];
      }
      x = inputs[0]!;
    }
    if (states == null) return super.apply(x, rest);
    const list = Array.isArray(states) ? states : [states];
    if (!(list[0] instanceof tf.SymbolicTensor)) return super.apply(x, { ...rest, initialState: list });
    const xSpec = this.inputSpec[0]!;
    this.inputSpec = [xSpec, ...list.map(() => new tf.InputSpec({ ndim: 2 }))];
    try {
      return super.apply([x, ...list] as tf.SymbolicTensor[], rest);
    } finally {
      this.inputSpec = [this.inputSpec[0]!];
    }
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const shape = firstShape(inputShape);
    const units = this.options.units;
    const output = this.options.returnSequences ? [shape[0]!, shape[1]!, units] : [shape[0]!, units];
    if (!this.options.returnState) return output;
    return [output, ...Array.from({ length: this.numStates }, () => [shape[0]!, units])];
  }

  override computeMask(
    _inputs: tf.Tensor | tf.Tensor[],
    mask?: tf.Tensor | tf.Tensor[],
  ): tf.Tensor | tf.Tensor[] {
    const m = Array.isArray(mask) ? mask[0] : mask;
    const out = (this.options.returnSequences ? m : null) as tf.Tensor;
    if (!this.options.returnState) return out;
    return [out, ...Array.from({ length: this.numStates }, () => null as unknown as tf.Tensor)];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    tf.dispose(this.staleStates);
    this.staleStates = [];
    return tf.tidy(() => {
      const list = Array.isArray(inputs) ? inputs : [inputs];
      const x = list[0] as tf.Tensor3D;
      const training = kwargs?.['training'] === true;
      const rawMask = kwargs?.['mask'] as tf.Tensor | tf.Tensor[] | undefined;
      const mask = Array.isArray(rawMask) ? rawMask[0] : rawMask;
      this.checkInput(x);
      const [batch, steps, inputDim] = x.shape;
      const given =
        (kwargs?.['initialState'] as tf.Tensor2D[] | undefined) ?? (list.slice(1) as tf.Tensor2D[]);
      const states = this.initialStates(given, batch);

      const rates = this.zoneoutRates();
      // Inside rl.inference's sampling context an inference call draws the training masks, seeded
      // from the context's stream (this layer's own stream does not move); it stays an inference
      // call for everything else (batch norm's moving statistics, no penalty, h only if returned).
      const samplingSeed = drawSeed(training, this.seeds);
      const sampling = !training && samplingSeed !== null;
      const stochasticZoneout =
        this.options.zoneoutAtInference === 'stochastic' && (rates.cell > 0 || rates.hidden > 0);
      const callSeed = samplingSeed ?? (stochasticZoneout ? this.seeds.next() : 0);
      const masks = drawCallMasks(
        {
          options: this.options,
          zoneoutCell: rates.cell,
          zoneoutHidden: rates.hidden,
          training: training || sampling,
          batch,
          steps,
          inputDim,
          gates: this.gates,
        },
        callSeed,
      );
      const xDropped = applySequenceMask(x, masks.input); // [B, T, D]
      const stepMask = mask == null ? undefined : (tf.cast(mask, 'float32') as tf.Tensor2D); // [B, T]
      const { sequence, states: finals } = this.runSequence(xDropped, states, masks, stepMask, training);

      if (this.stateful) this.keepStates(finals);
      if (training && this.options.normStabilizer > 0) {
        this.queuePenalty(normStabilizerPenalty(sequence, this.options.normStabilizer));
      }
      // The last output is the final h (after zoneout and padding carry-over).
      const last = this.options.returnState ? tf.clone(finals[0]!) : finals[0]!;
      const output = this.options.returnSequences ? sequence : last;
      const outputs = this.options.returnState ? [output, ...finals] : [output];
      if (training && this.outputRegularizer !== null) {
        // Keras: Σ over the outputs of regularizer(output) / batch size.
        const r = this.outputRegularizer;
        this.queuePenalty(tf.addN(outputs.map((o) => tf.div(r.apply(o), batch))) as tf.Scalar);
      }
      return this.options.returnState ? outputs : output;
    });
  }

  /** Adds a training call's penalty to the one the next loss reads (kept out of the call's tidy). */
  private queuePenalty(value: tf.Scalar): void {
    const penalty = tf.keep(value);
    const previous = this.pendingPenalty;
    this.pendingPenalty = previous ? (tf.keep(tf.add(previous, penalty)) as tf.Scalar) : penalty;
    if (previous) tf.dispose([previous, penalty]);
  }

  /** Stateful layers: sets the carried states to zeros (or to `states`), ready for new sequences. */
  override resetStates(states?: tf.Tensor | tf.Tensor[]): void {
    if (!this.stateful) {
      throw new RegulabConfigError(`${this.owner} '${this.name}': resetStates() needs stateful: true`);
    }
    tf.dispose(this.states_ ?? []);
    this.states_ = null;
    if (states != null) {
      const list = Array.isArray(states) ? states : [states];
      this.states_ = this.checkStates(list as tf.Tensor2D[], list[0]!.shape[0]!).map((s) =>
        tf.keep(tf.clone(s)),
      );
    }
  }

  /** The carried states of a stateful layer (null before the first call or after resetStates()). */
  getStates(): tf.Tensor2D[] | null {
    return this.states_;
  }

  override dispose(): ReturnType<tf.layers.Layer['dispose']> {
    const result = super.dispose();
    if (result.refCountAfterDispose === 0) {
      tf.dispose([...(this.states_ ?? []), ...this.staleStates]);
      if (this.pendingPenalty) this.pendingPenalty.dispose();
      this.states_ = null;
      this.pendingPenalty = null;
    }
    return result;
  }

  /** Weight-drop's mask on U is shared by the batch (see BatchSharedNoise in rl.inference). */
  sharesNoiseAcrossBatch(): boolean {
    return this.options.weightDrop > 0;
  }

  override getConfig(): tf.serialization.ConfigDict {
    const o = this.options;
    return {
      ...super.getConfig(),
      units: o.units,
      returnSequences: o.returnSequences,
      returnState: o.returnState,
      goBackwards: o.goBackwards,
      stateful: o.stateful,
      dropout: o.dropout,
      recurrentDropout: o.recurrentDropout,
      recurrentDropoutMode: o.recurrentDropoutMode,
      recurrentDropoutMask: o.recurrentDropoutMask,
      zoneoutAtInference: o.zoneoutAtInference,
      weightDrop: o.weightDrop,
      normStabilizer: o.normStabilizer,
      kernelInitializer: serializeInitializer(
        this.initializerSpecs.kernel,
      ) as tf.serialization.ConfigDictValue,
      recurrentInitializer: serializeInitializer(
        this.initializerSpecs.recurrent,
      ) as tf.serialization.ConfigDictValue,
      biasInitializer: serializeInitializer(this.initializerSpecs.bias) as tf.serialization.ConfigDictValue,
      kernelRegularizer: serializeIdentifier(this.regularizers.kernel),
      recurrentRegularizer: serializeIdentifier(this.regularizers.recurrent),
      biasRegularizer: serializeIdentifier(this.regularizers.bias),
      activityRegularizer: serializeIdentifier(this.outputRegularizer),
      kernelConstraint: serializeIdentifier(this.constraints.kernel),
      recurrentConstraint: serializeIdentifier(this.constraints.recurrent),
      biasConstraint: serializeIdentifier(this.constraints.bias),
      useBias: o.useBias,
      implementation: o.implementation,
      unroll: o.unroll,
      activation: o.activation,
      recurrentActivation: o.recurrentActivation,
      seed: o.seed,
      normalization: this.normalization,
      layerNormScope: this.layerNormScope,
      normMaxSteps: this.normMaxSteps,
      normMomentum: this.normMomentum,
    } as tf.serialization.ConfigDict;
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls(stripNulls(config)) as T;
  }

  /** The queued norm-stabilizer penalty of the last training call(s), handed to the loss once. */
  private takePenalty(): tf.Scalar {
    const p = this.pendingPenalty;
    if (p === null) return tf.scalar(0);
    this.pendingPenalty = null;
    const out = tf.clone(p); // owned by the caller's scope, gradient flows through
    p.dispose();
    return out;
  }

  private checkInput(x: tf.Tensor): void {
    const dim = (this.inputSpec[0]?.shape ?? [])[2];
    if (x.rank !== 3 || (dim != null && x.shape[2] !== dim)) {
      throw new RegulabConfigError(
        `${this.owner} '${this.name}': input must be [batch, time, ${dim ?? 'features'}], got [${x.shape.join(', ')}]`,
      );
    }
  }

  private initialStates(given: tf.Tensor2D[], batch: number): tf.Tensor2D[] {
    const units = this.options.units;
    if (given.length > 0) return this.checkStates(given, batch);
    if (this.stateful && this.states_ !== null) {
      if (this.states_[0]!.shape[0] !== batch) {
        throw new RegulabConfigError(
          `${this.owner} '${this.name}': stateful layer holds states for batch ${this.states_[0]!.shape[0]}, got batch ${batch}; call resetStates() to start sequences with a new batch size`,
        );
      }
      return this.states_;
    }
    return Array.from({ length: this.numStates }, () => tf.zeros([batch, units]) as tf.Tensor2D);
  }

  private checkStates(states: tf.Tensor2D[], batch: number): tf.Tensor2D[] {
    const units = this.options.units;
    if (states.length !== this.numStates) {
      throw new RegulabConfigError(
        `${this.owner} '${this.name}': expects ${this.numStates} initial state(s), got ${states.length}`,
      );
    }
    for (const s of states) {
      if (s.rank !== 2 || s.shape[0] !== batch || s.shape[1] !== units) {
        throw new RegulabConfigError(
          `${this.owner} '${this.name}': initial states must be [${batch}, ${units}], got [${s.shape.join(', ')}]`,
        );
      }
    }
    return states;
  }

  private keepStates(finals: tf.Tensor2D[]): void {
    // The previous states may still be needed by this call's backward pass: dispose them next call.
    if (this.states_) this.staleStates.push(...this.states_);
    this.states_ = finals.map((s) => tf.keep(tf.clone(s)) as tf.Tensor2D);
  }
}

/**
 * Layer options from a saved config: drops null values (so defaults apply) and the
 * `customObjects` entry tfjs's deserializer adds.
 */
export function stripNulls(config: tf.serialization.ConfigDict): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) if (v !== null && k !== 'customObjects') out[k] = v;
  return out;
}

function firstShape(inputShape: Shape | Shape[]): Shape {
  return Array.isArray(inputShape[0]) ? (inputShape[0] as Shape) : (inputShape as Shape);
}
