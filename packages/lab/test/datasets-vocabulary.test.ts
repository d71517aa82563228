import { describe, expect, it } from 'vitest';

import { buildCorpus } from '../src/datasets/text-corpus.js';
import { Vocabulary } from '../src/datasets/vocabulary.js';

describe('Vocabulary', () => {
  it('fromCounts: most frequent first, ties in code-point order, threshold, <unk> last', () => {
    const counts = new Map([
      ['b', 3],
      ['a', 3],
      ['c', 5],
      ['rare', 1],
    ]);
    const v = Vocabulary.fromCounts(counts, { minCount: 2, unk: '<unk>' });
    expect(v.tokens).toEqual(['c', 'a', 'b', '<unk>']);
    expect(v.id('rare')).toBe(-1);
    expect(Array.from(v.encode(['a', 'rare', 'c'], { unk: '<unk>' }))).toEqual([1, 3, 0]);
    expect(() => v.encode(['a', 'rare'], { file: 'x.txt' })).toThrow(
      /x\.txt: token "rare" \(position 1\) is not in the vocabulary of 4 tokens/,
    );
  });

  it('round-trips through toJSON; id types fit the vocabulary size', () => {
    const v = new Vocabulary(['x', 'y', 'z']);
    expect(new Vocabulary(JSON.parse(JSON.stringify(v))).tokens).toEqual(v.tokens);
    expect(v.encode(['z'])).toBeInstanceOf(Uint8Array);
    const big = new Vocabulary(Array.from({ length: 300 }, (_, i) => `w${i}`));
    expect(big.encode(['w299'])).toBeInstanceOf(Uint16Array);
    expect(big.encode(['w299'])[0]).toBe(299);
  });

  it('errors: duplicate tokens, ids out of range', () => {
    expect(() => new Vocabulary(['a', 'a'])).toThrow(/vocabulary: duplicate tokens/);
    expect(() => new Vocabulary(['a']).token(1)).toThrow(/token id 1 is outside the vocabulary \(size 1\)/);
  });
});

describe('buildCorpus', () => {
  const split = (tokens: string, file: string) => ({ tokens, file });

  it('an empty split is an error naming its file', () => {
    expect(() =>
      buildCorpus({
        name: 'tiny',
        level: 'char',
        source: 'test',
        preprocessing: 'none',
        train: split('abc', 'train.txt'),
        valid: split('', 'valid.txt'),
        test: split('ab', 'test.txt'),
      }),
    ).toThrow(/valid\.txt: the valid split of tiny is empty/);
  });

  it('a character of valid outside the training vocabulary is an error with its line', () => {
    expect(() =>
      buildCorpus({
        name: 'tiny',
        level: 'char',
        source: 'test',
        preprocessing: 'none',
        train: split('abc\nabc\n', 'train.txt'),
        valid: split('ab\ncz\n', 'valid.txt'),
        test: split('ab', 'test.txt'),
      }),
    ).toThrow(/valid\.txt: line 2: character "z" is not in the vocabulary \(4 tokens\)/);
  });
});
