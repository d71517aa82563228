/**
 * Mini-batches for classifiers, shuffled reproducibly.
 *
 * The order of epoch e is `shuffledIndices(count, seed, e)`: a pure function of (seed, epoch), so a
 * run resumed at epoch e, batch i sees exactly the batches an uninterrupted run would, without
 * saving any generator state.
 */
import { mixSeeds, randomPermutation } from './seeded-random.js';
import type { ImageSplit } from './types.js';

/** A permutation of 0 … n−1 that depends only on (seed, epoch). */
export function shuffledIndices(n: number, seed: number, epoch: number): Uint32Array {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`shuffledIndices: n must be ≥ 0, got ${n}`);
  if (!Number.isInteger(seed)) throw new RangeError(`shuffledIndices: seed must be an integer, got ${seed}`);
  if (!Number.isInteger(epoch) || epoch < 0)
    throw new RangeError(`shuffledIndices: epoch must be an integer ≥ 0, got ${epoch}`);
  return randomPermutation(n, mixSeeds(seed, epoch, 0x5eed));
}

/** Options of `classificationBatches`. */
export interface ClassificationBatchOptions {
  batchSize: number;
  /** Shuffle seed (the run's seed). */
  seed: number;
  epoch: number;
  /** Default true; false keeps the stored order (evaluation). */
  shuffle?: boolean;
  /** Default false: the last batch may be smaller. */
  dropLast?: boolean;
}

/** One mini-batch: copies of the rows, so the trainer may hand them to tfjs directly. */
export interface ClassificationBatch {
  /** [size, features] row-major. */
  x: Float32Array;
  /** [size] class ids. */
  y: Int32Array;
  size: number;
  /** Position in the epoch (0-based). */
  index: number;
}

/** The batches of one epoch: random access (for resume) and iteration. */
export interface BatchSequence extends Iterable<ClassificationBatch> {
  count: number;
  batch(index: number): ClassificationBatch;
}

/**
 * The mini-batches of one epoch of `split`.
 *
 * Shapes: x [count, F] → batches of x [b, F], y [b], b = batchSize (last: the rest, unless dropLast).
 */
export function classificationBatches(split: ImageSplit, opts: ClassificationBatchOptions): BatchSequence {
  const { batchSize } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`classificationBatches: batchSize must be a positive integer, got ${batchSize}`);
  const n = split.count;
  const features = n === 0 ? 0 : split.x.length / n;
  const order = opts.shuffle === false ? null : shuffledIndices(n, opts.seed, opts.epoch);
  const count = opts.dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);

  const batch = (index: number): ClassificationBatch => {
    if (!Number.isInteger(index) || index < 0 || index >= count)
      throw new RangeError(`classificationBatches: batch ${index} is outside 0 … ${count - 1}`);
    const from = index * batchSize;
    const size = Math.min(batchSize, n - from);
    const x = new Float32Array(size * features); // [size, F]
    const y = new Int32Array(size); // [size]
    for (let r = 0; r < size; r++) {
      const src = order ? order[from + r]! : from + r;
      x.set(split.x.subarray(src * features, (src + 1) * features), r * features);
      y[r] = split.y[src]!;
    }
    return { x, y, size, index };
  };

  return {
    count,
    batch,
    *[Symbol.iterator]() {
      for (let i = 0; i < count; i++) yield batch(i);
    },
  };
}
