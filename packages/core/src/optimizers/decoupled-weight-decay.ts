/**
 * The shared machinery of `adamw` and `sgdw`: gradient clipping, decoupled weight decay with
 * exclusion patterns, a learning-rate schedule, per-variable state ("slots") keyed by variable name,
 * and checkpointing of that state. A subclass overrides one hook, `updateVariable`, with its step rule.
 *
 * One update, for each variable w with gradient g, at 0-based step t:
 *
 *     g ← clip(g)                           (clipValue element-wise, then clipNorm on all g together)
 *     w ← w − lr_t·λ·w                      (unless the name matches `exclude`; λ = weightDecay)
 *     w ← updateVariable(w, g, slots, lr_t)  (Adam, SGD with momentum, …)
 *
 * This is meaning 3 of "weight decay" in docs/weight-decay.md: decoupled from the gradient (the
 * decay never enters Adam's moment estimates) and scaled by the learning rate, as PyTorch `AdamW`
 * and Keras `weight_decay` do (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019).
 */
import * as tf from '@tensorflow/tfjs';
import { fusedOptimizerUpdate } from '@regulab/kernels';
import { RegulabConfigError, checkNonNegative } from '../util/validate.js';
import { type FusedStep, applyFusedStep } from './fused-update.js';
import { checkClipOptions, clipGradients } from './gradient-clipping.js';
import {
  type LearningRate,
  LearningRateSchedule,
  checkLearningRate,
  deserializeLearningRate,
  serializeLearningRate,
} from './learning-rate-schedule.js';
import { type NamePattern, compilePatterns, matchesAny, serializePatterns } from './name-patterns.js';

/** A named tensor, as `tf.Optimizer.applyGradients` and `getWeights` use. */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

/** Options shared by every decoupled-weight-decay optimizer. */
export interface DecoupledWeightDecayArgs {
  /** Learning rate lr, or a schedule of the step (e.g. `rl.optimizers.cosineDecay`). */
  learningRate: LearningRate;
  /** λ in w ← w − lr·λ·w. 0 turns decay off. */
  weightDecay: number;
  /** Variable-name patterns that decay skips (substring strings or RegExps), e.g. `['bias', 'gamma']`. */
  exclude?: NamePattern[];
  /** Clip the global L2 norm of all gradients together to this value (PyTorch `clip_grad_norm_`). */
  clipNorm?: number;
  /** Clip each gradient element to [−clipValue, clipValue]. */
  clipValue?: number;
}

/** Slot variables of one model variable, by slot name (e.g. `m`, `v`, `momentum`). */
export type Slots = Map<string, tf.Variable>;

export abstract class DecoupledWeightDecayOptimizer extends tf.Optimizer {
  /** Learning rate or schedule; may be changed between steps (e.g. by a plateau callback). */
  learningRate: LearningRate;
  readonly weightDecay: number;
  readonly clipNorm: number | undefined;
  readonly clipValue: number | undefined;
  protected readonly excludePatterns: RegExp[];
  private readonly slots = new Map<string, Slots>();
  /** State from `setWeights` not yet attached to a variable, in saved order. */
  private restored: { name: string; slots: Slots }[] = [];

  /** Names of the per-variable state this optimizer keeps (empty for plain SGD). */
  protected abstract get slotNames(): readonly string[];

  /**
   * The step rule: update `variable` in place (with `assign`) from its clipped gradient, its slots
   * and the learning rate of this step. Runs inside a `tf.tidy`. `step` is 0-based.
   */
  protected abstract updateVariable(
    variable: tf.Variable,
    gradient: tf.Tensor,
    slots: Slots,
    learningRate: number,
    step: number,
  ): void;

  /**
   * The same step rule as `updateVariable`, as a kind and scalars of the one-pass update kernel
   * (OptimizerUpdate of @regulab/kernels, without its leading lr·λ), or null to always use
   * `updateVariable`. On tfjs's CPU backend with fast kernels the base class then updates each
   * variable and its slots in one pass instead of a dozen tfjs ops.
   */
  protected fusedStep(_learningRate: number, _step: number): FusedStep | null {
    return null;
  }

  protected constructor(owner: string, args: DecoupledWeightDecayArgs) {
    super();
    if (args == null || typeof args !== 'object') {
      throw new RegulabConfigError(`${owner}: expected an options object, got ${String(args)}`);
    }
    this.learningRate = checkLearningRate(owner, args.learningRate);
    this.weightDecay = checkNonNegative(owner, 'weightDecay', args.weightDecay);
    this.excludePatterns = compilePatterns(owner, args.exclude);
    checkClipOptions(owner, args as unknown as Record<string, unknown>, ['clipNorm', 'clipValue']);
    this.clipNorm = args.clipNorm ?? undefined;
    this.clipValue = args.clipValue ?? undefined;
  }

  /** The learning rate the next update will use. */
  currentLearningRate(): number {
    const lr = this.learningRate;
    return lr instanceof LearningRateSchedule ? lr.valueAt(this.iterations) : lr;
  }

  /** True when weight decay applies to the variable of this name. */
  decays(variableName: string): boolean {
    return this.weightDecay > 0 && !matchesAny(variableName, this.excludePatterns);
  }

  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const entries: [string, tf.Tensor | undefined][] = Array.isArray(variableGradients)
      ? variableGradients.map(({ name, tensor }) => [name, tensor])
      : Object.entries(variableGradients);
    const step = this.iterations;
    const lr = this.currentLearningRate();
    const update = fusedOptimizerUpdate();
    const fused = update === null ? null : this.fusedStep(lr, step);
    tf.tidy(() => {
      const grads = clipGradients(
        entries.map(([, g]) => g),
        { globalNorm: this.clipNorm, value: this.clipValue },
      );
      entries.forEach(([name], i) => {
        const gradient = grads[i];
        if (gradient == null) return; // variable not reached by the loss
        const variable = tf.engine().registeredVariables[name];
        if (variable == null) {
          throw new RegulabConfigError(`${this.getClassName()}: no variable named '${name}' is registered`);
        }
        const slots = this.slotsFor(name, variable);
        const decay = this.decays(name) ? lr * this.weightDecay : 0;
        if (
          fused !== null &&
          applyFusedStep(update!, fused, decay, variable, gradient, this.slotNames, slots)
        )
          return;
        if (decay > 0) variable.assign(tf.mul(variable, 1 - decay)); // w ← w − lr·λ·w
        this.updateVariable(variable, gradient, slots, lr, step);
      });
    });
    this.incrementIterations();
  }

  private slotsFor(name: string, variable: tf.Variable): Slots {
    let slots = this.slots.get(name) ?? this.takeRestored(name, variable);
    if (slots == null) {
      slots = new Map();
      this.slots.set(name, slots);
    }
    for (const slot of this.slotNames) {
      if (!slots.has(slot)) slots.set(slot, tf.variable(tf.zerosLike(variable), false));
    }
    return slots;
  }

  /**
   * Hands restored state to a variable seen for the first time since `setWeights`: the group saved
   * under the same name if there is one, else the next group in saved order. tfjs renames variables
   * when a model is loaded (`dense_Dense1/kernel` → `dense_Dense3/kernel`), so a loaded model is
   * matched by order, as tfjs's own optimizers match all state.
   */
  private takeRestored(name: string, variable: tf.Variable): Slots | undefined {
    if (this.restored.length === 0) return undefined;
    let index = this.restored.findIndex((r) => r.name === name);
    if (index < 0) index = 0;
    const [{ name: savedName, slots }] = this.restored.splice(index, 1);
    for (const [slot, value] of slots) {
      if (!tf.util.arraysEqual(value.shape, variable.shape)) {
        throw new RegulabConfigError(
          `${this.getClassName()}: restored state '${savedName}/${slot}' has shape [${value.shape}] but variable ` +
            `'${name}' has shape [${variable.shape}]: the checkpoint belongs to another model`,
        );
      }
    }
    this.slots.set(name, slots);
    return slots;
  }

  /**
   * The optimizer state for checkpoints: the step count (`iter`) first, as tfjs's optimizers do, then
   * one entry per variable and slot, named `<variable name>/<slot>`. The tensors are the live slot
   * variables (as in tfjs): read or copy them before the next update.
   */
  override async getWeights(): Promise<NamedTensor[]> {
    const out: NamedTensor[] = [await this.saveIterations()];
    const groups = [...this.slots].map(([name, slots]) => ({ name, slots })).concat(this.restored);
    for (const { name, slots } of groups) {
      for (const [slot, variable] of slots) out.push({ name: `${name}/${slot}`, tensor: variable });
    }
    return out;
  }

  /**
   * Restores the state written by `getWeights` (also what `tf.loadLayersModel` calls), replacing the
   * current state. Each variable picks up its state at its next update (see `takeRestored`).
   */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    this.disposeState();
    const groups = new Map<string, Slots>();
    for (const { name, tensor } of rest) {
      const cut = name.lastIndexOf('/');
      const slot = name.slice(cut + 1);
      if (cut < 0 || !this.slotNames.includes(slot)) {
        throw new RegulabConfigError(
          `${this.getClassName()}.setWeights: unexpected weight '${name}' (slots are ${this.slotNames.join(', ')})`,
        );
      }
      const variableName = name.slice(0, cut);
      if (!groups.has(variableName)) groups.set(variableName, new Map());
      groups.get(variableName)!.set(slot, tf.variable(tensor, false));
    }
    this.restored = [...groups].map(([name, slots]) => ({ name, slots }));
  }

  private disposeState(): void {
    for (const slots of this.slots.values()) for (const v of slots.values()) v.dispose();
    for (const { slots } of this.restored) for (const v of slots.values()) v.dispose();
    this.slots.clear();
    this.restored = [];
  }

  override dispose(): void {
    this.disposeState();
    super.dispose();
  }

  /** Rebuilds a subclass from its `getConfig()` (the learning rate may be a schedule). */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls(argsFromConfig(config));
  }

  /** The options shared by all subclasses, serialized (only the options that are set). */
  getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      learningRate: serializeLearningRate(this.learningRate),
      weightDecay: this.weightDecay,
      exclude: serializePatterns(this.excludePatterns) as unknown as tf.serialization.ConfigDictValue,
    };
    if (this.clipNorm != null) config.clipNorm = this.clipNorm;
    if (this.clipValue != null) config.clipValue = this.clipValue;
    return config;
  }
}

/** Turns a saved config back into constructor options (the learning rate may be a schedule). */
function argsFromConfig(config: tf.serialization.ConfigDict): DecoupledWeightDecayArgs {
  return {
    ...config,
    learningRate: deserializeLearningRate(config.learningRate),
  } as unknown as DecoupledWeightDecayArgs;
}
