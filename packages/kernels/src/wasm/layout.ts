/**
 * Moving arrays between the JavaScript layouts of the FusedImpl contract (tight, input-time order)
 * and the kernels' padded, processing-order layouts in WebAssembly memory. All offsets here are in
 * float32 elements. Arrays handed out come from ../fused/recycled-outputs.ts (they become tensors).
 */
import { takeF32 } from '../fused/recycled-outputs.js';

/** Copies `rows` rows of `cols` floats from src (row stride srcStride) to dst (row stride dstStride). */
export function putRows(
  mem: Float32Array,
  dst: number,
  dstStride: number,
  src: Float32Array,
  rows: number,
  cols: number,
  srcStride = cols,
): void {
  if (dstStride === cols && srcStride === cols) {
    mem.set(src.subarray(0, rows * cols), dst);
    return;
  }
  for (let r = 0; r < rows; r++)
    mem.set(src.subarray(r * srcStride, r * srcStride + cols), dst + r * dstStride);
}

/** The reverse of putRows: rows of `cols` floats out of memory into a fresh tight array. */
export function getRows(
  mem: Float32Array,
  src: number,
  srcStride: number,
  rows: number,
  cols: number,
): Float32Array {
  return getRowsInto(takeF32(rows * cols), mem, src, srcStride, rows, cols);
}

/** getRows into `out` (at least rows·cols floats, tight rows from its start); returns out. */
export function getRowsInto(
  out: Float32Array,
  mem: Float32Array,
  src: number,
  srcStride: number,
  rows: number,
  cols: number,
): Float32Array {
  if (srcStride === cols) {
    out.set(mem.subarray(src, src + rows * cols));
    return out;
  }
  for (let r = 0; r < rows; r++)
    out.set(mem.subarray(src + r * srcStride, src + r * srcStride + cols), r * cols);
  return out;
}

/**
 * A state history [B][T + 1][HP] in memory (row 0 of each example is the initial state) → the
 * sequence [B, T, H] of states after each step and the last state [B, H], as tight arrays.
 */
export function getStateHistory(
  mem: Float32Array,
  src: number,
  b: number,
  t: number,
  h: number,
  hp: number,
): { sequence: Float32Array; last: Float32Array } {
  const sequence = takeF32(b * t * h);
  for (let bi = 0; bi < b; bi++) {
    getRowsInto(sequence.subarray(bi * t * h), mem, src + (bi * (t + 1) + 1) * hp, hp, t, h);
  }
  return { sequence, last: getRows(mem, src + t * hp, (t + 1) * hp, b, h) };
}

/**
 * x [B, T, D] → [B][T][D + 1] with a trailing 1, in processing order (reversed in time for goBackwards).
 */
export function putInputs(
  mem: Float32Array,
  dst: number,
  x: Float32Array,
  b: number,
  t: number,
  d: number,
  backwards: boolean,
): void {
  const dx = d + 1;
  for (let bi = 0; bi < b; bi++) {
    for (let k = 0; k < t; k++) {
      const ti = backwards ? t - 1 - k : k;
      const o = dst + (bi * t + k) * dx;
      mem.set(x.subarray((bi * t + ti) * d, (bi * t + ti + 1) * d), o);
      mem[o + d] = 1;
    }
  }
}

/** dx [B][T][DP] (processing order) → [B, T, D] in input time. */
export function getInputGrads(
  mem: Float32Array,
  src: number,
  b: number,
  t: number,
  d: number,
  dp: number,
  backwards: boolean,
): Float32Array {
  const out = takeF32(b * t * d);
  for (let bi = 0; bi < b; bi++) {
    for (let k = 0; k < t; k++) {
      const ti = backwards ? t - 1 - k : k;
      const o = src + (bi * t + k) * dp;
      out.set(mem.subarray(o, o + d), (bi * t + ti) * d);
    }
  }
  return out;
}

/** Step mask [B, T] (input time) → [B][T] in processing order. */
export function putStepMask(
  mem: Float32Array,
  dst: number,
  m: Float32Array,
  b: number,
  t: number,
  backwards: boolean,
): void {
  if (!backwards) {
    mem.set(m, dst);
    return;
  }
  for (let bi = 0; bi < b; bi++) for (let k = 0; k < t; k++) mem[dst + bi * t + k] = m[bi * t + t - 1 - k];
}

/**
 * A gate-major matrix [rows, G·H] out of a padded one [rows][G·HP] (row stride ld).
 */
export function getGated(
  mem: Float32Array,
  src: number,
  ld: number,
  rows: number,
  gates: number,
  h: number,
  hp: number,
): Float32Array {
  const out = takeF32(rows * gates * h);
  for (let r = 0; r < rows; r++) {
    for (let g = 0; g < gates; g++) {
      const o = src + r * ld + g * hp;
      out.set(mem.subarray(o, o + h), (r * gates + g) * h);
    }
  }
  return out;
}

/** A [B][T] array in memory → a fresh [T, B] one (per-step values, step-major). */
export function getStepMajor(mem: Float32Array, src: number, b: number, t: number): Float32Array {
  const out = new Float32Array(t * b);
  for (let bi = 0; bi < b; bi++) for (let k = 0; k < t; k++) out[k * b + bi] = mem[src + bi * t + k]!;
  return out;
}

/** The reverse of getGated: a tight gate-major [rows, G·H] into a padded [rows][G·HP] (padding left as it is). */
export function putGated(
  mem: Float32Array,
  dst: number,
  src: Float32Array,
  rows: number,
  gates: number,
  h: number,
  hp: number,
): void {
  for (let r = 0; r < rows; r++) {
    for (let g = 0; g < gates; g++) {
      const o = (r * gates + g) * h;
      mem.set(src.subarray(o, o + h), dst + (r * gates + g) * hp);
    }
  }
}
