import { DatasetError } from './errors.js';
import type { TokenIds } from './types.js';

/**
 * A fixed token ↔ id mapping. Ids are dense, 0 … size−1, in the order of `tokens`.
 *
 * Built by `Vocabulary.fromCounts` (sorted by descending count, ties by code point, so the same
 * text always gives the same ids) or restored from `toJSON()` output with `new Vocabulary(tokens)`.
 */
export class Vocabulary {
  readonly tokens: readonly string[];
  private readonly index: Map<string, number>;

  constructor(tokens: readonly string[]) {
    this.tokens = [...tokens];
    this.index = new Map(this.tokens.map((t, i) => [t, i]));
    if (this.index.size !== this.tokens.length) throw new DatasetError('vocabulary', 'duplicate tokens');
  }

  /**
   * The tokens of `counts` that occur at least `minCount` times, most frequent first. Tokens below
   * the threshold are dropped; when `unk` is given it is added (once) so that they can map to it.
   */
  static fromCounts(counts: Map<string, number>, opts: { minCount?: number; unk?: string } = {}): Vocabulary {
    const minCount = opts.minCount ?? 1;
    const kept = [...counts].filter(([t, c]) => c >= minCount && t !== opts.unk);
    kept.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const tokens = kept.map(([t]) => t);
    if (opts.unk !== undefined) tokens.push(opts.unk);
    return new Vocabulary(tokens);
  }

  get size(): number {
    return this.tokens.length;
  }

  has(token: string): boolean {
    return this.index.has(token);
  }

  /** The id of `token`, or -1 when it is not in the vocabulary. */
  id(token: string): number {
    return this.index.get(token) ?? -1;
  }

  /** The token of `id`; throws a RangeError for an id outside 0 … size−1. */
  token(id: number): string {
    const t = this.tokens[id];
    if (t === undefined) throw new RangeError(`token id ${id} is outside the vocabulary (size ${this.size})`);
    return t;
  }

  /**
   * Ids of `tokens`, in the smallest typed array that holds every id. A token outside the
   * vocabulary maps to `unk` when given, else throws a DatasetError that names `file` and the token.
   */
  encode(tokens: readonly string[], opts: { unk?: string; file?: string } = {}): TokenIds {
    const out = allocateIds(this.size, tokens.length);
    const unkId = opts.unk === undefined ? -1 : this.id(opts.unk);
    for (let i = 0; i < tokens.length; i++) {
      const id = this.index.get(tokens[i]!);
      if (id !== undefined) out[i] = id;
      else if (unkId >= 0) out[i] = unkId;
      else
        throw new DatasetError(
          opts.file ?? 'text',
          `token ${JSON.stringify(tokens[i])} (position ${i}) is not in the vocabulary of ${this.size} tokens`,
        );
    }
    return out;
  }

  decode(ids: ArrayLike<number>): string[] {
    return Array.from(ids, (id) => this.token(id));
  }

  toJSON(): string[] {
    return [...this.tokens];
  }
}

/** A zeroed id array of `length` in the smallest type that holds ids below `vocabSize`. */
export function allocateIds(vocabSize: number, length: number): TokenIds {
  if (vocabSize <= 256) return new Uint8Array(length);
  if (vocabSize <= 65536) return new Uint16Array(length);
  return new Int32Array(length);
}
