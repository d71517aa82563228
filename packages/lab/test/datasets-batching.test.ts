import { describe, expect, it } from 'vitest';

import { loadBrown } from '../src/datasets/brown.js';
import { classificationBatches, shuffledIndices } from '../src/datasets/classification-batching.js';
import { batchify, bpttWindows, takeFirst } from '../src/datasets/lm-batching.js';
import type { ImageSplit } from '../src/datasets/types.js';

const iota = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

describe('language-model batching', () => {
  it('batchify: B contiguous streams, row-major [B, N], the tail dropped', () => {
    const s = batchify(iota(23), 4);
    expect(s.length).toBe(5);
    expect(Array.from(s.data)).toEqual(Array.from(iota(20)));
    // stream b = ids[b·N … (b+1)·N)
    expect(Array.from(s.data.subarray(5, 10))).toEqual([5, 6, 7, 8, 9]);
  });

  it('windows: targets are the inputs shifted by one; every token but the first of a stream is predicted once', () => {
    const s = batchify(iota(2 * 11), 2); // streams 0…10 and 11…21
    const w = bpttWindows(s, 4);
    expect(w.count).toBe(3); // 10 steps: 4 + 4 + 2
    const all = [...w];
    expect(all.map((x) => x.length)).toEqual([4, 4, 2]);
    expect(Array.from(all[0]!.inputs)).toEqual([0, 1, 2, 3, 11, 12, 13, 14]);
    expect(Array.from(all[0]!.targets)).toEqual([1, 2, 3, 4, 12, 13, 14, 15]);
    expect(Array.from(all[2]!.inputs)).toEqual([8, 9, 19, 20]);
    expect(Array.from(all[2]!.targets)).toEqual([9, 10, 20, 21]);
    const predicted = all.flatMap((x) => Array.from(x.targets)).sort((a, b) => a - b);
    expect(predicted).toEqual([
      ...Array.from({ length: 10 }, (_, i) => i + 1),
      ...Array.from({ length: 10 }, (_, i) => i + 12),
    ]);
    expect(all.reduce((n, x) => n + x.tokens, 0)).toBe(20);
  });

  it('protocols: carry resets only window 0, reset resets every window; partial drop keeps full windows', () => {
    const s = batchify(iota(40), 2);
    expect([...bpttWindows(s, 6)].map((w) => w.resetState)).toEqual([true, false, false, false]);
    expect([...bpttWindows(s, 6, { protocol: 'reset' })].every((w) => w.resetState)).toBe(true);
    const drop = bpttWindows(s, 6, { partial: 'drop' });
    expect(drop.count).toBe(3);
    expect([...drop].every((w) => w.length === 6)).toBe(true);
  });

  it('random access equals iteration (resume from window i)', () => {
    const c = loadBrown({ level: 'char' });
    const w = bpttWindows(batchify(takeFirst(c.train, 5000), 4), 50);
    const viaIter = [...w][17]!;
    expect(w.window(17)).toEqual(viaIter);
    expect(c.vocab.decode(viaIter.targets.subarray(0, 49)).join('')).toBe(
      c.vocab.decode(viaIter.inputs.subarray(1, 50)).join(''),
    );
  });

  it('clear errors for bad sizes', () => {
    expect(() => batchify(iota(3), 2)).toThrow(/streams of 1 tokens at batch size 2; need at least 2/);
    expect(() => batchify(iota(10), 0)).toThrow(/batchSize must be a positive integer, got 0/);
    expect(() => bpttWindows(batchify(iota(10), 1), 0)).toThrow(/seqLen must be a positive integer/);
    expect(() => bpttWindows(batchify(iota(10), 1), 3).window(3)).toThrow(/window 3 is outside 0 … 2/);
    expect(() => takeFirst(iota(10), 1)).toThrow(/n must be an integer ≥ 2/);
    expect(takeFirst(iota(10), 4).length).toBe(4);
  });
});

describe('classification batching', () => {
  const split: ImageSplit = {
    x: Float32Array.from({ length: 10 * 3 }, (_, i) => i),
    y: Int32Array.from({ length: 10 }, (_, i) => i),
    count: 10,
  };

  it('shuffledIndices is a permutation and a pure function of (seed, epoch)', () => {
    const a = shuffledIndices(1000, 42, 3);
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(shuffledIndices(1000, 42, 3))).toEqual(Array.from(a));
    expect(Array.from(shuffledIndices(1000, 42, 4))).not.toEqual(Array.from(a));
    expect(Array.from(shuffledIndices(1000, 43, 3))).not.toEqual(Array.from(a));
    // Seeded golden value, from an independent Python re-implementation of the documented algorithm
    // (mixSeeds(1, 0, 0x5eed) → mulberry32 → Fisher–Yates). It pins the order across versions: a
    // change would silently change the batches of every resumed run.
    expect(Array.from(shuffledIndices(8, 1, 0))).toEqual([2, 6, 5, 1, 0, 4, 3, 7]);
  });

  it('each example once per epoch, rows kept whole, labels follow their rows, last batch smaller', () => {
    const b = classificationBatches(split, { batchSize: 4, seed: 1, epoch: 0 });
    expect(b.count).toBe(3);
    const batches = [...b];
    expect(batches.map((x) => x.size)).toEqual([4, 4, 2]);
    const seen = batches.flatMap((x) => Array.from(x.y)).sort((p, q) => p - q);
    expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => i));
    for (const batch of batches)
      for (let r = 0; r < batch.size; r++)
        expect(Array.from(batch.x.subarray(r * 3, r * 3 + 3))).toEqual(
          [0, 1, 2].map((k) => batch.y[r]! * 3 + k),
        );
    expect(classificationBatches(split, { batchSize: 4, seed: 1, epoch: 0, dropLast: true }).count).toBe(2);
  });

  it('resume: batch i of epoch e is the same in a fresh sequence; no shuffle keeps the order', () => {
    const a = classificationBatches(split, { batchSize: 3, seed: 9, epoch: 5 });
    const b = classificationBatches(split, { batchSize: 3, seed: 9, epoch: 5 });
    expect(b.batch(2)).toEqual([...a][2]);
    const plain = classificationBatches(split, { batchSize: 3, seed: 9, epoch: 5, shuffle: false });
    expect(Array.from(plain.batch(1).y)).toEqual([3, 4, 5]);
    expect(() => a.batch(4)).toThrow(/batch 4 is outside 0 … 3/);
  });
});
