/**
 * What the LSTM and GRU calls share on the JavaScript side: the frame of inputs, masks and flags,
 * and the packing of the weights into the kernels' panel layout.
 */
import type { FusedCommonArgs } from '../fused/impl.js';
import { F, pad8 } from './context.js';
import { dropoutDraw } from '../fused/dropout-hash.js';
import { Frame } from './frame.js';
import { putInputs, putStepMask } from './layout.js';
import type { WasmRuntime } from './runtime.js';

/** A new frame with dims, inputs, masks, flags and the forward buffers of a G-gate cell. */
export function commonFrame(rt: WasmRuntime, args: FusedCommonArgs, G: number): Frame {
  const { batch: B, steps: T, inputDim: D, units: H } = args.dims;
  const HP = pad8(H);
  const fr = new Frame(rt);
  const dims: [number, number][] = [
    [F.B, B],
    [F.T, T],
    [F.D, D],
    [F.H, H],
    [F.HP, HP],
    [F.NP, G * HP],
    [F.DX, D + 1],
    [F.DP, pad8(D)],
    [F.ACT, args.activation],
    [F.GACT, args.recurrentActivation],
  ];
  for (const [f, v] of dims) fr.set(f, v);
  // Allocate before taking the memory's view: an allocation may grow the memory, which detaches
  // an older Float32Array (a write through it would be lost).
  const xa = fr.buffer(F.XA, B * T * (D + 1));
  putInputs(rt.f32(), xa, args.x, B, T, D, args.goBackwards);
  fr.put(F.H0, args.h0, B, H, HP);
  if (args.recurrentMask) {
    fr.put(F.RMASK, args.recurrentMask, args.recurrentPerStep === true ? T * B : B, H, HP);
    fr.set(F.RSTEP, args.recurrentPerStep === true ? 1 : 0);
  }
  if (args.candidateMask) {
    fr.put(F.CMASK, args.candidateMask, args.candidatePerStep ? T * B : B, H, HP);
    fr.set(F.CSTEP, args.candidatePerStep ? 1 : 0);
  }
  // Seeded per-step masks: drawn by the kernels' dropoutFill into the frame (the tape keeps them
  // for backward), then read as per-step masks [T][B][HP].
  for (const [d, mask, perStep] of [
    [args.recurrentDropout, F.RMASK, F.RSTEP],
    [args.candidateDropout, F.CMASK, F.CSTEP],
  ] as const) {
    if (d === null || d === undefined) continue;
    const { key, threshold, scale } = dropoutDraw(d.seed, d.rate);
    const at = fr.buffer(mask, T * B * HP) * 4;
    rt.exports.dropoutFill(at, key | 0, threshold, scale, T, B, H, HP);
    fr.set(perStep, 1);
  }
  fr.zoneout(F.ZH, args.zoneoutHidden, T * B, H, HP);
  if (args.stepMask) {
    const sm = fr.buffer(F.SMASK, B * T);
    putStepMask(rt.f32(), sm, args.stepMask, B, T, args.goBackwards);
  }
  fr.buffer(F.ACTS, B * T * G * HP);
  fr.buffer(F.HS, B * (T + 1) * HP);
  fr.buffer(F.HHAT, B * T * HP);
  return fr;
}

/**
 * Packs a weight matrix w [rows, G·H] (tight) into the kernels' panel layout, into a buffer of
 * `fr` at `field`: as op(B) = w with K = kRows rows (rows past `rows` are zero, `extra` rows such
 * as the bias follow the matrix), or transposed (op(B)[g, r] = w[r, g], K = G·HP, N = rows).
 */
export function packWeights(
  rt: WasmRuntime,
  fr: Frame,
  field: number,
  w: Float32Array,
  rows: number,
  gates: number,
  h: number,
  opts: { transposed: boolean; kRows?: number; extra?: Float32Array },
): number {
  const hp = pad8(h);
  const np = gates * hp;
  const tmp = rt.heap.alloc(Math.max(w.length, 1) * 4);
  try {
    rt.f32().set(w, tmp / 4);
    const ld = gates * h * 4;
    if (!opts.transposed) {
      const k = opts.kRows ?? rows;
      const dst = fr.buffer(field, np * k) * 4;
      rt.exports.packB(tmp, ld, 4, rows, rows, 0, np, np, hp, h, dst, k);
      if (k > rows) {
        if (opts.extra) rt.f32().set(opts.extra, tmp / 4);
        // the remaining rows: the extra row (ld 0 repeats it, only one is asked for) or zeros
        const n = k - rows;
        rt.exports.packB(tmp, 0, 4, n, opts.extra ? 1 : 0, 0, np, np, hp, h, dst + rows * 32, k);
      }
      return dst;
    }
    const n = pad8(rows);
    const dst = fr.buffer(field, np * n) * 4;
    rt.exports.packB(tmp, 4, ld, np, np, hp, n, rows, 0, h, dst, np);
    return dst;
  } finally {
    rt.heap.release(tmp);
  }
}
