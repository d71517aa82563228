/**
 * `rl.layers.embeddingDropout`: an embedding layer that drops whole word types during training.
 */
import * as tf from '@tensorflow/tfjs';
import { embeddingDropout as embeddingDropoutFn } from '../functional/embedding-dropout.js';
import { drawSeed } from '../inference/sampling-context.js';
import { SeedStream } from '../random/seed-stream.js';
import { checkOptions, checkPositiveInt, checkRate, optionNames } from '../util/validate.js';
import { checkSeed, LAYER_ARGS, singleInput, type Kwargs } from './stochastic-layer.js';
import { TfjsEmbedding, type EmbeddingArgs } from './tfjs-bases.js';

export interface EmbeddingDropoutArgs extends EmbeddingArgs {
  /** Probability p of dropping each word type (row of the embedding matrix), in [0, 1). AWD-LSTM: 0.1. */
  rate: number;
  /** Seed of the layer's `SeedStream` (one seed per training call). Omitted: unseeded. */
  seed?: number | null;
}

const OWNER = 'rl.layers.embeddingDropout';

/** tf.layers.embedding's options, `rate` and `seed`; any other is a RegulabConfigError. */
const OPTIONS = optionNames<EmbeddingDropoutArgs>({
  ...LAYER_ARGS,
  inputDim: true,
  outputDim: true,
  embeddingsInitializer: true,
  embeddingsRegularizer: true,
  activityRegularizer: true,
  embeddingsConstraint: true,
  maskZero: true,
  inputLength: true,
  rate: true,
  seed: true,
});

/**
 * Embedding with embedding dropout (Gal & Ghahramani, 2016, §4.2; Merity et al., 2018,
 * "Regularizing and Optimizing LSTM Language Models", AWD-LSTM's `embedded_dropout`).
 *
 * Training: y = (E ⊙ m / (1 − p))[ids] with m ~ Bernoulli(1 − p) of shape [V, 1], drawn afresh on
 * every training call: a dropped word is the zero vector at every position of every sequence in
 * the batch (dropping word types, not tokens), kept words are scaled by 1/(1 − p).
 * Inference: y = E[ids], the ordinary lookup (Monte Carlo sampling with `rl.inference.mcPredict`
 * draws m as in training).
 *
 * The trained variable is the raw matrix E; regularizers and constraints act on E. Only V random
 * numbers are drawn per call and the [V, D] matrix is never multiplied whole (the mask is gathered
 * with the rows).
 *
 * Shapes: input ids [B, T] (or any shape S, integer values in [0, V)); embeddings [V, D];
 * output [B, T, D] ([...S, D]). Any batch size.
 *
 * Takes every option of `tf.layers.embedding` (inputDim = V, outputDim = D,
 * embeddingsInitializer, embeddingsRegularizer, embeddingsConstraint, maskZero, inputLength…)
 * plus `rate` and `seed`; it extends tfjs's own Embedding, so they behave and serialize as there.
 */
export class EmbeddingDropout extends TfjsEmbedding {
  static override className = 'RegulabEmbeddingDropout';
  readonly rate: number;
  readonly seed: number | null;
  /** Per-call seeds; `seeds.state` / `seeds.restore(n)` checkpoint how many masks were drawn. */
  readonly seeds: SeedStream;

  constructor(args: EmbeddingDropoutArgs) {
    checkOptions(OWNER, args, OPTIONS);
    checkPositiveInt(OWNER, 'inputDim', args.inputDim);
    checkPositiveInt(OWNER, 'outputDim', args.outputDim);
    super(args);
    this.rate = checkRate(OWNER, 'rate', args.rate);
    this.seed = checkSeed(OWNER, args.seed);
    this.seeds = new SeedStream(this.seed);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      this.invokeCallHook(inputs, kwargs);
      const ids = singleInput(OWNER, inputs); // [B, T]
      const seed = this.rate > 0 ? drawSeed(kwargs['training'] === true, this.seeds) : null;
      return embeddingDropoutFn(ids, this.embeddings!.read(), this.rate, seed !== null, seed); // [B, T, D]
    });
  }

  /** The word-type mask is shared by the batch (see BatchSharedNoise). */
  sharesNoiseAcrossBatch(): boolean {
    return this.rate > 0;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}
tf.serialization.registerClass(EmbeddingDropout);

/** Creates an embedding layer with embedding dropout: `rl.layers.embeddingDropout({ inputDim: 10000, outputDim: 400, rate: 0.1 })`. */
export function embeddingDropout(args: EmbeddingDropoutArgs): EmbeddingDropout {
  return new EmbeddingDropout(args);
}
