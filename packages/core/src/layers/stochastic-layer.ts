/**
 * The shared base of Regulab's feed-forward stochastic layers (dropout and its variants).
 *
 * It owns what every such layer must get right, so the variants only say how they perturb one
 * input (`perturb`):
 * - the options are checked at construction: a rate outside [0, 1) is a `RegulabConfigError`
 *   naming the layer, the option and the value (tfjs clamps it silently, so `rate: 1` there is the
 *   identity), and so is an option the layer does not know (each class lists its own in the
 *   static `options`; tfjs ignores unknown ones, so a typo such as `seeed` would go unnoticed);
 * - the layer acts only when the `training` kwarg is true (`model.fit`, `trainOnBatch`,
 *   `apply(x, { training: true })`); `predict`, `evaluate` and a plain `apply` get the input back,
 *   except inside `rl.inference`'s sampling context (Monte Carlo dropout), where an inference call
 *   perturbs too, with a seed from the context's stream (../inference/sampling-context.ts);
 * - each training call draws its noise from a fresh seed of a `SeedStream`, so masks are never
 *   reused across calls (tfjs reuses one mask forever once a `seed` is set), a seeded layer is
 *   reproducible call for call, and nothing about the mask depends on the previous batch size;
 * - `getConfig` carries `rate` and `seed`, so `model.toJSON()` → `tf.models.modelFromJSON` rebuilds
 *   the same layer.
 */
import * as tf from '@tensorflow/tfjs';
import { drawSeed } from '../inference/sampling-context.js';
import { SeedStream } from '../random/seed-stream.js';
import { checkOptions, checkRate, describeValue, optionNames, RegulabConfigError } from '../util/validate.js';

/** The options every tfjs layer takes (name, inputShape, batchInputShape, trainable, dtype…). */
export type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** The names of LayerArgs, for the option lists of layers that take them. */
export const LAYER_ARGS: { [K in keyof Required<LayerArgs>]: true } = {
  inputShape: true,
  batchInputShape: true,
  batchSize: true,
  dtype: true,
  name: true,
  trainable: true,
  weights: true,
  inputDType: true,
};

/** The kwargs tfjs passes to `call`. */
export type Kwargs = Record<string, any>;

export interface StochasticLayerArgs extends LayerArgs {
  /** The drop probability p, in [0, 1). */
  rate: number;
  /**
   * Seed of the layer's `SeedStream`: training call k uses the stream's k-th seed, so two layers
   * with the same seed draw the same masks call for call. Omitted: a random stream (fresh,
   * unreproducible masks).
   */
  seed?: number | null;
}

/** A seed option must be an integer (or absent). */
export function checkSeed(owner: string, value: unknown): number | null {
  if (value == null) return null;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new RegulabConfigError(`${owner}: option 'seed' must be an integer, got ${describeValue(value)}`);
  }
  return value;
}

/** The one tensor a single-input layer was called with. */
export function singleInput(owner: string, inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  if (!Array.isArray(inputs)) return inputs;
  if (inputs.length !== 1) {
    throw new RegulabConfigError(`${owner}: expects exactly one input tensor, got ${inputs.length}`);
  }
  return inputs[0];
}

/** A layer that perturbs its input during training and is the identity at inference. */
export abstract class StochasticLayer extends tf.layers.Layer {
  /** Every option the layer takes; a subclass with other options declares its own. */
  static readonly options = optionNames<StochasticLayerArgs>({ ...LAYER_ARGS, rate: true, seed: true });
  /** The drop probability p. */
  readonly rate: number;
  /** The user's seed (null: unseeded). */
  readonly seed: number | null;
  /** Per-call seeds. `seeds.state` / `seeds.restore(n)` checkpoint how many masks were drawn. */
  readonly seeds: SeedStream;
  /** The public name of the layer's factory, used in error messages (e.g. 'rl.layers.dropout'). */
  protected readonly owner: string;

  protected constructor(owner: string, args: StochasticLayerArgs) {
    super(checkOptions(owner, args, (new.target as typeof StochasticLayer).options));
    this.owner = owner;
    this.rate = checkRate(owner, 'rate', args.rate);
    this.seed = checkSeed(owner, args.seed);
    this.seeds = new SeedStream(this.seed);
    this.supportsMasking = true;
  }

  /**
   * The training-time perturbation of one input, with this call's seed. Called only when the rate
   * is above 0 and `training` is true or a sampling context is active.
   */
  protected abstract perturb(x: tf.Tensor, seed: number): tf.Tensor;

  /** Checks a concrete input before anything is drawn (shape requirements); default: none. */
  protected checkInput(_x: tf.Tensor): void {}

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      this.invokeCallHook(inputs, kwargs);
      const x = singleInput(this.owner, inputs);
      this.checkInput(x);
      if (this.rate === 0) return x;
      const seed = drawSeed(kwargs['training'] === true, this.seeds);
      return seed === null ? x : this.perturb(x, seed);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}
