/**
 * `rl.layers.concreteDropoutDense` and `rl.layers.concreteLockedDropoutDense`: a dense layer whose
 * input is dropped at a rate that is itself trained (concrete dropout).
 */
import * as tf from '@tensorflow/tfjs';
import { concreteDropout, concreteDropoutPenalty } from '../functional/concrete-dropout.js';
import { drawSeed } from '../inference/sampling-context.js';
import { SeedStream } from '../random/seed-stream.js';
import {
  checkNonNegative,
  checkOptions,
  checkPositive,
  checkPositiveInt,
  optionNames,
  RegulabConfigError,
} from '../util/validate.js';
import { checkSeed, singleInput, type Kwargs } from './stochastic-layer.js';
import { DENSE_ARGS, TfjsDense, type DenseArgs } from './tfjs-bases.js';

export interface ConcreteDropoutDenseArgs extends DenseArgs {
  /** The drop rate p before training, in (0, 1). Default 0.1 (the authors' code). */
  initialRate?: number;
  /** Temperature t of the relaxed mask. Default 0.1 (the paper's). */
  temperature?: number;
  /**
   * N, the number of training examples: sets λ_w = l²/N and λ_d = 2/N. Needed unless both
   * regularizers are given.
   */
  datasetSize?: number | null;
  /** l, the prior length scale of the weights (λ_w = l²/N). Default 1e-4 (the authors' examples). */
  lengthScale?: number | null;
  /** λ_w, the weight term's coefficient (overrides l²/N). */
  weightRegularizer?: number;
  /** λ_d, the entropy term's coefficient (overrides 2/N). */
  dropoutRegularizer?: number;
  /**
   * k, the scale of the rate's parameterization: the trained weight is ρ with logit p = k·ρ. The
   * objective and its optimum are unchanged; an optimizer step on ρ moves logit p k times as far
   * as on an unscaled logit under Adam or RMSProp (whose steps are ≈ lr whatever the gradient's
   * size), k² times under SGD — the rate's own learning rate, without a second optimizer. Default
   * 1 (the authors' parameterization).
   */
  rateScale?: number;
  /** Seed of the layer's `SeedStream` (one seed per training call). Omitted: unseeded. */
  seed?: number | null;
}

/** tf.layers.dense's options and concrete dropout's; any other is a RegulabConfigError. */
const OPTIONS = optionNames<ConcreteDropoutDenseArgs>({
  ...DENSE_ARGS,
  initialRate: true,
  temperature: true,
  datasetSize: true,
  lengthScale: true,
  weightRegularizer: true,
  dropoutRegularizer: true,
  rateScale: true,
  seed: true,
});

/** λ_w and λ_d from the explicit coefficients or from N and l. */
function coefficients(owner: string, args: ConcreteDropoutDenseArgs): { weight: number; dropout: number } {
  if (args.weightRegularizer != null && args.dropoutRegularizer != null) {
    return {
      weight: checkNonNegative(owner, 'weightRegularizer', args.weightRegularizer),
      dropout: checkNonNegative(owner, 'dropoutRegularizer', args.dropoutRegularizer),
    };
  }
  if (args.datasetSize == null) {
    throw new RegulabConfigError(
      `${owner}: give 'datasetSize' (the number of training examples N, for λ_w = l²/N and λ_d = 2/N) or both 'weightRegularizer' and 'dropoutRegularizer'`,
    );
  }
  const n = checkPositiveInt(owner, 'datasetSize', args.datasetSize);
  const l = checkPositive(owner, 'lengthScale', args.lengthScale ?? 1e-4);
  return {
    weight:
      args.weightRegularizer != null
        ? checkNonNegative(owner, 'weightRegularizer', args.weightRegularizer)
        : (l * l) / n,
    dropout:
      args.dropoutRegularizer != null
        ? checkNonNegative(owner, 'dropoutRegularizer', args.dropoutRegularizer)
        : 2 / n,
  };
}

/**
 * Dense layer with concrete dropout on its input (Gal, Hron & Kendall, 2017, "Concrete Dropout",
 * NeurIPS; the authors' Keras `ConcreteDropout(Dense(...))`).
 *
 * Training: p = sigmoid(k·ρ), ρ a trained weight (`p_logit`, k the `rateScale`, default 1); x̃ = x ⊙ keep with the relaxed mask
 * keep = (1 − z)/(1 − p), z = sigmoid((logit p + logit u)/t), u ~ U(0, 1) on `maskShape(x)`; then
 * y = act(x̃ · W + b). The layer adds R = λ_w · ΣW²/(1 − p) + λ_d · K · (p log p + (1 − p) log(1 − p))
 * (K the input dimension) to the model's losses (`fit` and `trainOnBatch` include it; a custom loop
 * adds `model.calculateLosses()`). Inference: y = act(x · W + b). Monte Carlo sampling
 * (`rl.inference.mcPredict`) draws the relaxed mask as in training, as the authors' MC mode does.
 *
 * The learned rate is `layer.rate` (a number; `rateTensor()` for the tensor).
 *
 * Shapes: input [B, …, D]; kernel [D, U]; output [B, …, U]. This class draws one mask element per
 * input element; `ConcreteLockedDropoutDense` overrides the one hook, `maskShape`, for sequences.
 *
 * Takes every option of `tf.layers.dense` plus those in {@link ConcreteDropoutDenseArgs}.
 */
export class ConcreteDropoutDense extends TfjsDense {
  static override className = 'RegulabConcreteDropoutDense';
  readonly initialRate: number;
  readonly temperature: number;
  readonly weightRegularizer: number;
  readonly dropoutRegularizer: number;
  /** k of p = sigmoid(k·ρ) (see ConcreteDropoutDenseArgs.rateScale). */
  readonly rateScale: number;
  /** N and l as given (null when the coefficients were given directly); kept in the config. */
  readonly datasetSize: number | null;
  readonly lengthScale: number | null;
  readonly seed: number | null;
  /** Per-call seeds; `seeds.state` / `seeds.restore(n)` checkpoint how many masks were drawn. */
  readonly seeds: SeedStream;
  protected readonly owner: string;
  private pLogit: tf.LayerVariable | null = null;

  constructor(args: ConcreteDropoutDenseArgs, owner = 'rl.layers.concreteDropoutDense') {
    checkOptions(owner, args, OPTIONS);
    checkPositiveInt(owner, 'units', args.units);
    super(args);
    this.owner = owner;
    const initial = args.initialRate ?? 0.1;
    if (typeof initial !== 'number' || !(initial > 0 && initial < 1)) {
      throw new RegulabConfigError(
        `${owner}: option 'initialRate' must be a number in (0, 1), got ${String(initial)}`,
      );
    }
    this.initialRate = initial;
    this.temperature = checkPositive(owner, 'temperature', args.temperature ?? 0.1);
    this.rateScale = checkPositive(owner, 'rateScale', args.rateScale ?? 1);
    const c = coefficients(owner, args);
    this.weightRegularizer = c.weight;
    this.dropoutRegularizer = c.dropout;
    this.datasetSize = args.datasetSize ?? null;
    this.lengthScale = args.lengthScale ?? null;
    this.seed = checkSeed(owner, args.seed);
    this.seeds = new SeedStream(this.seed);
    this.addLoss(() => this.penalty());
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    super.build(inputShape);
    const logit = Math.log(this.initialRate) - Math.log(1 - this.initialRate);
    const rho = logit / this.rateScale; // logit p = k·ρ
    this.pLogit = this.addWeight('p_logit', [1], 'float32', tf.initializers.constant({ value: rho }));
  }

  /** The drop rate p = sigmoid(k·ρ), a scalar tensor (differentiable in ρ). */
  rateTensor(): tf.Scalar {
    if (this.pLogit == null) {
      throw new RegulabConfigError(
        `${this.owner}: the layer is not built yet (call it or build a model with it first)`,
      );
    }
    return tf.tidy(() => {
      const rho = this.pLogit!.read(); // [1]
      return tf.reshape(
        tf.sigmoid(this.rateScale === 1 ? rho : tf.mul(rho, this.rateScale)),
        [],
      ) as tf.Scalar;
    });
  }

  /** The current learned drop rate p. */
  get rate(): number {
    const p = this.rateTensor();
    const value = p.dataSync()[0]!;
    p.dispose();
    return value;
  }

  /** The mask shape for input x: the one hook the variants override. Default: x's shape. */
  protected maskShape(x: tf.Tensor): number[] {
    return [...x.shape];
  }

  /** R(W, p) of this layer (0 before it is built). */
  penalty(): tf.Scalar {
    if (this.pLogit == null || this.kernel == null) return tf.scalar(0);
    return tf.tidy(() => {
      const kernel = this.kernel!.read(); // [D, U]
      return concreteDropoutPenalty(
        kernel,
        this.rateTensor(),
        kernel.shape[0]!,
        this.weightRegularizer,
        this.dropoutRegularizer,
      );
    });
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      this.invokeCallHook(inputs, kwargs);
      const x = singleInput(this.owner, inputs); // [B, …, D]
      const maskShape = this.maskShape(x);
      const seed = drawSeed(kwargs['training'] === true, this.seeds);
      const dropped =
        seed !== null
          ? concreteDropout(x, this.rateTensor(), true, seed, { temperature: this.temperature, maskShape })
          : x; // [B, …, D]
      const kernel = this.kernel!.read(); // [D, U]
      const [inDim, units] = kernel.shape;
      let y = tf.matMul(tf.reshape(dropped, [-1, inDim]), kernel); // [N, U]
      if (this.bias != null) y = tf.add(y, this.bias.read()); // [N, U]
      y = this.activation.apply(y); // [N, U]
      return tf.reshape(y, [...x.shape.slice(0, -1), units]); // [B, …, U]
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      initialRate: this.initialRate,
      temperature: this.temperature,
      weightRegularizer: this.weightRegularizer,
      dropoutRegularizer: this.dropoutRegularizer,
      datasetSize: this.datasetSize,
      lengthScale: this.lengthScale,
      rateScale: this.rateScale,
      seed: this.seed,
    };
  }
}
tf.serialization.registerClass(ConcreteDropoutDense);

/**
 * Concrete dropout with one mask per sequence (the locked / variational form of Gal & Ghahramani,
 * 2016, with the learned rate of Gal, Hron & Kendall, 2017), then a dense layer applied at every
 * step: for the outputs of a recurrent layer (the decoder of a language model) or as the input
 * projection in front of one.
 *
 * Training: mask [B, 1, D], the same at every step of a sequence; otherwise as
 * {@link ConcreteDropoutDense}. Shapes: input [B, T, D] → output [B, T, U].
 */
export class ConcreteLockedDropoutDense extends ConcreteDropoutDense {
  static override className = 'RegulabConcreteLockedDropoutDense';

  constructor(args: ConcreteDropoutDenseArgs) {
    super(args, 'rl.layers.concreteLockedDropoutDense');
  }

  protected override maskShape(x: tf.Tensor): number[] {
    if (x.rank !== 3) {
      throw new RegulabConfigError(
        `${this.owner}: input must have rank 3 [batch, time, features], got shape [${x.shape.join(', ')}]`,
      );
    }
    const [batch, , features] = x.shape as number[];
    return [batch!, 1, features!]; // [B, 1, D]
  }
}
tf.serialization.registerClass(ConcreteLockedDropoutDense);

/** Creates a concrete-dropout dense layer: `rl.layers.concreteDropoutDense({ units: 64, datasetSize: 10000 })`. */
export function concreteDropoutDense(args: ConcreteDropoutDenseArgs): ConcreteDropoutDense {
  return new ConcreteDropoutDense(args);
}

/** Creates the per-sequence variant for [B, T, D] inputs. See {@link ConcreteLockedDropoutDense}. */
export function concreteLockedDropoutDense(args: ConcreteDropoutDenseArgs): ConcreteLockedDropoutDense {
  return new ConcreteLockedDropoutDense(args);
}
