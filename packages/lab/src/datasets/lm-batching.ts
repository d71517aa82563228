/**
 * Batching for language models: contiguous streams and truncated-BPTT windows.
 *
 * `batchify(ids, B)` cuts a split into B equal contiguous streams (the tail that does not fill a
 * whole column is dropped) and stores them as a row-major [B, N] matrix: stream b is
 * ids[b·N … (b+1)·N). `bpttWindows(streams, L)` walks the N columns in windows of L steps:
 *
 *   inputs[b, t]  = streams[b, s + t]
 *   targets[b, t] = streams[b, s + t + 1]          (the next token: targets are shifted by one)
 *
 * for s = 0, L, 2L, … while s < N − 1; the last window is shorter (N − 1 − s steps) unless
 * `partial: 'drop'`. Every token except the first of each stream is predicted exactly once.
 *
 * Protocol (say which one a reported number used; papers.md: it moves char-PTB BPC by ~0.1):
 * - `'carry'` (default; training, and the usual "whole sequence" evaluation): the recurrent state
 *   at the end of window k is the initial state of window k+1 (gradients stop at the window edge,
 *   i.e. truncated BPTT); only window 0 has `resetState: true`. Evaluate with batchSize 1 to score
 *   the split as one sequence, or with B streams (each stream still carries its own state).
 * - `'reset'`: every window starts from the zero state (`resetState: true` on every window), i.e.
 *   the split is scored as independent chunks of L tokens (the zoneout reference code's validation).
 *
 * Metrics over a split must average over predicted tokens (`window.tokens`), not over windows, since
 * the last window may be shorter.
 */
import type { TokenIds } from './types.js';

/** B contiguous streams of one split, row-major [batchSize, length]. */
export interface Streams {
  data: TokenIds;
  batchSize: number;
  /** N: tokens per stream. */
  length: number;
}

/** One truncated-BPTT window. */
export interface Window {
  /** Position of this window in the epoch (0-based): resume from here. */
  index: number;
  /** Column of the streams where the window starts. */
  start: number;
  /** Time steps in this window (seqLen, or fewer for the last window). */
  length: number;
  batchSize: number;
  /** [batchSize, length] row-major token ids. */
  inputs: Int32Array;
  /** [batchSize, length] row-major: the token after each input. */
  targets: Int32Array;
  /** Predicted tokens in this window: batchSize · length. */
  tokens: number;
  /** True when the recurrent state must be zeroed before this window. */
  resetState: boolean;
}

/** State handling across windows: see the module doc. */
export type LmEvalProtocol = 'carry' | 'reset';

/** Options of `bpttWindows`. */
export interface WindowOptions {
  /** State handling across windows (see the module doc). Default 'carry'. */
  protocol?: LmEvalProtocol;
  /** 'keep' (default) keeps a shorter last window; 'drop' drops it (fixed shapes). */
  partial?: 'keep' | 'drop';
}

/** The windows of one epoch: random access (for resume) and iteration. */
export interface WindowSequence extends Iterable<Window> {
  count: number;
  window(index: number): Window;
}

/**
 * Cuts `ids` into `batchSize` contiguous streams.
 *
 * Shapes: ids [T] → data [B, N] with N = floor(T / B); the last T − B·N tokens are dropped.
 */
export function batchify(ids: TokenIds, batchSize: number): Streams {
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`batchify: batchSize must be a positive integer, got ${batchSize}`);
  const length = Math.floor(ids.length / batchSize);
  if (length < 2)
    throw new RangeError(
      `batchify: ${ids.length} tokens give streams of ${length} tokens at batch size ${batchSize}; ` +
        'need at least 2 (an input and its target)',
    );
  return { data: ids.subarray(0, batchSize * length), batchSize, length };
}

/**
 * The BPTT windows of `streams` with `seqLen` steps each.
 *
 * Shapes: streams [B, N] → ceil((N − 1) / L) windows of inputs/targets [B, L] (last may be shorter).
 */
export function bpttWindows(streams: Streams, seqLen: number, opts: WindowOptions = {}): WindowSequence {
  if (!Number.isInteger(seqLen) || seqLen < 1)
    throw new RangeError(`bpttWindows: seqLen must be a positive integer, got ${seqLen}`);
  const protocol = opts.protocol ?? 'carry';
  if (protocol !== 'carry' && protocol !== 'reset')
    throw new RangeError(`bpttWindows: protocol must be 'carry' or 'reset', got ${String(protocol)}`);
  const { data, batchSize: B, length: N } = streams;
  const steps = N - 1;
  const count = opts.partial === 'drop' ? Math.floor(steps / seqLen) : Math.ceil(steps / seqLen);

  const window = (index: number): Window => {
    if (!Number.isInteger(index) || index < 0 || index >= count)
      throw new RangeError(`bpttWindows: window ${index} is outside 0 … ${count - 1}`);
    const start = index * seqLen;
    const L = Math.min(seqLen, steps - start);
    const inputs = new Int32Array(B * L); // [B, L]
    const targets = new Int32Array(B * L); // [B, L]
    for (let b = 0; b < B; b++) {
      const row = b * N + start;
      for (let t = 0; t < L; t++) {
        inputs[b * L + t] = data[row + t]!;
        targets[b * L + t] = data[row + t + 1]!;
      }
    }
    return {
      index,
      start,
      length: L,
      batchSize: B,
      inputs,
      targets,
      tokens: B * L,
      resetState: protocol === 'reset' || index === 0,
    };
  };

  return {
    count,
    window,
    *[Symbol.iterator]() {
      for (let i = 0; i < count; i++) yield window(i);
    },
  };
}

/** The first `n` tokens of a split (`--train-chars N` / `--train-words N`); a view, not a copy. */
export function takeFirst(ids: TokenIds, n: number): TokenIds {
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`takeFirst: n must be an integer ≥ 2, got ${n}`);
  return ids.subarray(0, Math.min(n, ids.length));
}
