/**
 * Builds a `TextCorpus` from tokenised splits: checks each split is non-empty, builds or takes the
 * vocabulary, and encodes, with errors that name the file and line of a token outside the vocabulary.
 */
import { DatasetError } from './errors.js';
import type { TextCorpus, TokenIds } from './types.js';
import { allocateIds, Vocabulary } from './vocabulary.js';

/** The tokens of one split as read from one file. */
export interface TokenizedSplit {
  /** The tokens; for character corpora a string may be given instead (each code point a token). */
  tokens: readonly string[] | string;
  /** The file (or label) the tokens came from, for error messages. */
  file: string;
  /** lineStarts[k] = index of the first token of line k+1 (optional; gives line numbers in errors). */
  lineStarts?: number[];
}

/** What `buildCorpus` needs: three tokenised splits and how to make the vocabulary. */
export interface CorpusSpec {
  name: string;
  level: 'char' | 'word';
  source: string;
  preprocessing: string;
  train: TokenizedSplit;
  valid: TokenizedSplit;
  test: TokenizedSplit;
  /** A fixed vocabulary; otherwise built from the training tokens. */
  vocab?: Vocabulary;
  /** With a built vocabulary: tokens seen fewer times in train map to `unk`. Default 1. */
  minCount?: number;
  /** The unknown-token symbol; without it a token outside the vocabulary is an error. */
  unk?: string;
}

/** Token counts of a list of tokens (or of the code points of a string). */
export function countTokens(tokens: readonly string[] | string): Map<string, number> {
  const counts = new Map<string, number>();
  if (typeof tokens === 'string' && !SURROGATE.test(tokens)) {
    // Fast path for text without astral characters: count UTF-16 units in a table.
    const table = new Float64Array(65536);
    for (let i = 0; i < tokens.length; i++) table[tokens.charCodeAt(i)]! += 1;
    table.forEach((c, code) => c > 0 && counts.set(String.fromCharCode(code), c));
    return counts;
  }
  for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
  return counts;
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** Checks each split is non-empty, builds (or takes) the vocabulary and encodes the splits. */
export function buildCorpus(spec: CorpusSpec): TextCorpus {
  for (const split of ['train', 'valid', 'test'] as const) {
    if (spec[split].tokens.length === 0)
      throw new DatasetError(spec[split].file, `the ${split} split of ${spec.name} is empty (no tokens)`);
  }
  const vocab =
    spec.vocab ??
    Vocabulary.fromCounts(countTokens(spec.train.tokens), { minCount: spec.minCount, unk: spec.unk });
  return {
    name: spec.name,
    level: spec.level,
    vocab,
    source: spec.source,
    preprocessing: spec.preprocessing,
    train: encodeSplit(vocab, spec.train, spec.unk),
    valid: encodeSplit(vocab, spec.valid, spec.unk),
    test: encodeSplit(vocab, spec.test, spec.unk),
  };
}

/** Encodes one split; a token outside the vocabulary (and no `unk`) is an error naming file and line. */
export function encodeSplit(vocab: Vocabulary, split: TokenizedSplit, unk?: string): TokenIds {
  const unkId = unk === undefined ? -1 : vocab.id(unk);
  if (typeof split.tokens === 'string' && !SURROGATE.test(split.tokens))
    return encodeText(vocab, split.tokens, split.file, unkId);
  const tokens = typeof split.tokens === 'string' ? Array.from(split.tokens) : split.tokens;
  const out = allocateIds(vocab.size, tokens.length);
  for (let i = 0; i < tokens.length; i++) {
    let id = vocab.id(tokens[i]!);
    if (id < 0) id = unkId;
    if (id < 0) {
      const where = split.lineStarts ? `line ${lineOf(split.lineStarts, i)}` : `token ${i}`;
      throw new DatasetError(
        split.file,
        `${where}: ${JSON.stringify(tokens[i])} is not in the vocabulary (${vocab.size} tokens)`,
      );
    }
    out[i] = id;
  }
  return out;
}

/** Encodes a string without astral characters, one UTF-16 unit per token, through a lookup table. */
function encodeText(vocab: Vocabulary, text: string, file: string, unkId: number): TokenIds {
  const table = new Int32Array(65536).fill(unkId);
  vocab.tokens.forEach((t, id) => t.length === 1 && (table[t.charCodeAt(0)] = id));
  const out = allocateIds(vocab.size, text.length);
  for (let i = 0; i < text.length; i++) {
    const id = table[text.charCodeAt(i)]!;
    if (id < 0) {
      const line = text.slice(0, i).split('\n').length;
      throw new DatasetError(
        file,
        `line ${line}: character ${JSON.stringify(text[i])} is not in the vocabulary (${vocab.size} tokens)`,
      );
    }
    out[i] = id;
  }
  return out;
}

/** 1-based line number of token `i` given the token index at which each line starts. */
function lineOf(lineStarts: number[], i: number): number {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lineStarts[mid]! <= i) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}
