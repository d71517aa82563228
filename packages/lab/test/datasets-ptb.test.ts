import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, describe, expect, it } from 'vitest';

import { loadTextCorpus } from '../src/datasets/load-text-corpus.js';
import { loadPtb, loadPtbFiles, readPtbFile } from '../src/datasets/ptb.js';
import { Vocabulary } from '../src/datasets/vocabulary.js';

const SHARED_PTB = fileURLToPath(new URL('../../../../shared/data/ptb', import.meta.url));
const haveShared = existsSync(join(SHARED_PTB, 'ptb.valid.txt'));
if (!haveShared) console.warn(`skipping the real-PTB tests: ${SHARED_PTB} is absent (not a CI checkout)`);

const tmp = mkdtempSync(join(tmpdir(), 'regulab-ptb-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
function write(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

describe.skipIf(!haveShared)('Penn Treebank, real valid/test files (../shared/data/ptb)', () => {
  const f = (name: string) => join(SHARED_PTB, name);

  it('word files: the standard token counts (words + one <eos> per sentence)', () => {
    const s = loadPtbFiles({ valid: f('ptb.valid.txt'), test: f('ptb.test.txt') }, 'word');
    expect(s.valid!.length).toBe(73_760);
    expect(s.test!.length).toBe(82_430);
    expect(s.train).toBeUndefined();
    expect(s.vocabFrom).toMatch(/no training file/);
    for (const t of ['<unk>', '<eos>', 'N']) expect(s.vocab.has(t)).toBe(true);
    expect(s.vocab.size).toBeLessThanOrEqual(10_000); // a subset of the 10k-word PTB vocabulary
    expect(s.vocab.decode(s.valid!.subarray(0, 15)).join(' ')).toBe(
      'consumers may want to move their telephones a little closer to the tv set <eos>',
    );
  });

  it('char files: one character per token, `_` between words, the same text as the word files', () => {
    const chars = loadPtbFiles({ valid: f('ptb.char.valid.txt') }, 'char');
    const words = readPtbFile(f('ptb.valid.txt'), 'word').tokens as string[];
    const fromWords: string[] = [];
    let line: string[] = [];
    for (const w of words) {
      if (w !== '<eos>') line.push(w);
      else {
        fromWords.push(...line.join('_'), '<eos>');
        line = [];
      }
    }
    expect(chars.vocab.decode(chars.valid!)).toEqual(fromWords);
    expect(chars.vocab.size).toBeLessThanOrEqual(51);
    expect(chars.vocab.has('_')).toBe(true);
  });

  it('a directory without ptb.train.txt is refused with a message that says so', async () => {
    await expect(loadPtb({ level: 'word', dir: SHARED_PTB })).rejects.toThrow(
      /missing ptb\.train\.txt \(found: ptb\.valid\.txt, ptb\.test\.txt\)\. The training split is required/,
    );
    await expect(loadPtb({ level: 'char', dir: SHARED_PTB })).rejects.toThrow(
      /missing ptb\.char\.train\.txt/,
    );
  });

  it('when the download cannot happen, the error says how to use a copy (REGULAB_PTB_DIR)', async () => {
    // An unusable cache (a file where its directory should be) fails before any network access.
    const cacheDir = join(mkdtempSync(join(tmpdir(), 'regulab-ptb-')), 'cache');
    writeFileSync(cacheDir, 'not a directory');
    await expect(loadPtb({ level: 'word', cacheDir, download: true })).rejects.toThrow(
      /^ptb: the dataset cache: .*cache is a file, not a directory; to use a copy of the PTB files instead, set REGULAB_PTB_DIR \(or give --data <dir>\) to the directory holding ptb\.train\.txt, ptb\.valid\.txt, ptb\.test\.txt$/,
    );
  });

  it('a file of the wrong level is refused, naming the file', () => {
    expect(() => readPtbFile(f('ptb.valid.txt'), 'char')).toThrow(
      /ptb\.valid\.txt: line 1: token "consumers" is not a single character/,
    );
    expect(() => readPtbFile(f('ptb.char.valid.txt'), 'word')).toThrow(
      /ptb\.char\.valid\.txt: line 1 looks like a character-level file/,
    );
  });

  it('test words outside a given vocabulary are an error naming file and line', () => {
    const vocab = loadPtbFiles({ valid: f('ptb.valid.txt') }, 'word').vocab;
    expect(() => loadPtbFiles({ test: f('ptb.test.txt') }, 'word', { vocab })).toThrow(
      /ptb\.test\.txt: line \d+: "[^"]+" is not in the vocabulary/,
    );
  });
});

describe('Penn Treebank loader on a small directory in PTB format', () => {
  const dir = mkdtempSync(join(tmp, 'dir-'));
  writeFileSync(join(dir, 'ptb.train.txt'), ' the cat sat \n the dog sat on the cat \n');
  writeFileSync(join(dir, 'ptb.valid.txt'), ' the dog sat \n');
  writeFileSync(join(dir, 'ptb.test.txt'), ' the cat \n');

  it('loads three splits, vocabulary from train, most frequent first, <eos> per line', async () => {
    const c = await loadPtb({ level: 'word', dir });
    // Counts: the 4; <eos>, cat, sat 2 (ties in code-point order); dog, on 1.
    expect(c.vocab.tokens).toEqual(['the', '<eos>', 'cat', 'sat', 'dog', 'on']);
    expect(c.vocab.decode(c.train)).toEqual('the cat sat <eos> the dog sat on the cat <eos>'.split(' '));
    expect(c.vocab.decode(c.test)).toEqual(['the', 'cat', '<eos>']);
    expect(c.train).toBeInstanceOf(Uint8Array);
    const same = await loadTextCorpus(dir, 'word');
    expect(Array.from(same.valid)).toEqual(Array.from(c.valid));
  });

  it('a valid word missing from train is an error naming the file and the line', async () => {
    const bad = mkdtempSync(join(tmp, 'oov-'));
    writeFileSync(join(bad, 'ptb.train.txt'), ' a b \n');
    writeFileSync(join(bad, 'ptb.valid.txt'), ' a \n b zebra \n');
    writeFileSync(join(bad, 'ptb.test.txt'), ' a \n');
    await expect(loadPtb({ level: 'word', dir: bad })).rejects.toThrow(
      /ptb\.valid\.txt: line 2: "zebra" is not in the vocabulary/,
    );
  });

  it('an empty split file is an error naming the file', () => {
    const empty = write('ptb.empty.txt', '\n  \n');
    expect(() => readPtbFile(empty, 'word')).toThrow(/ptb\.empty\.txt: the file is empty/);
    expect(() => readPtbFile(join(tmp, 'nope.txt'), 'word')).toThrow(/nope\.txt: no such file/);
  });

  it('a char file with a character outside the given vocabulary is refused', () => {
    const p = write('ptb.char.x.txt', ' a _ b \n a _ é \n');
    const vocab = new Vocabulary(['a', 'b', '_', '<eos>']);
    expect(() => loadPtbFiles({ test: p }, 'char', { vocab })).toThrow(
      /ptb\.char\.x\.txt: line 2: "é" is not in the vocabulary/,
    );
    expect(readFileSync(p, 'utf8')).toContain('é');
  });

  it('without a directory and without download permission, says what to give', async () => {
    await expect(loadPtb({ level: 'word' })).rejects.toThrow(/give a directory with the PTB files/);
    await expect(loadTextCorpus('/no/such/place', 'word')).rejects.toThrow(/unknown data/);
  });
});
