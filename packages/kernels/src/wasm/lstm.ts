/**
 * The whole-sequence LSTM of the FusedImpl contract on the WebAssembly kernels
 * (wasm/assembly/lstm.ts): copy in (padded, processing order), run the rows on one or two threads,
 * copy out. The forward frame (inputs, activations, states) is the tape of the backward call.
 */
import type { LstmArgs, LstmForwardResult, LstmGrads } from '../fused/impl.js';
import { F, pad8 } from './context.js';
import { Frame, WasmTape } from './frame.js';
import { getGated, getInputGrads, getRows, putInputs, putStepMask } from './layout.js';
import type { WasmRuntime } from './runtime.js';
import { checkArray, checkCommon, rowSplit, panelSplit } from './checks.js';

const G = 4;

/** Writes dims, inputs, masks and flags shared by forward and backward into a new frame. */
function lstmFrame(rt: WasmRuntime, args: LstmArgs): Frame {
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
  putInputs(rt.f32(), fr.buffer(F.XA, B * T * (D + 1)), args.x, B, T, D, args.goBackwards);
  fr.put(F.H0, args.h0, B, H, HP);
  fr.put(F.C0, args.c0, B, H, HP);
  if (args.recurrentMask) fr.put(F.RMASK, args.recurrentMask, B, H, HP);
  if (args.candidateMask) {
    fr.put(F.CMASK, args.candidateMask, args.candidatePerStep ? T * B : B, H, HP);
    fr.set(F.CSTEP, args.candidatePerStep ? 1 : 0);
  }
  fr.zoneout(F.ZC, args.zoneoutCell, T * B, H, HP);
  fr.zoneout(F.ZH, args.zoneoutHidden, T * B, H, HP);
  if (args.stepMask) putStepMask(rt.f32(), fr.buffer(F.SMASK, B * T), args.stepMask, B, T, args.goBackwards);
  fr.buffer(F.ACTS, B * T * G * HP);
  fr.buffer(F.YS, B * T * HP);
  fr.buffer(F.CS, B * (T + 1) * HP);
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

export function lstmForward(rt: WasmRuntime, args: LstmArgs, keepTape: boolean): LstmForwardResult {
  checkCommon('lstmForward', args, G, 4 * args.dims.units);
  const { batch, steps, units } = args.dims;
  checkArray('lstmForward', 'c0', args.c0, batch * units);
  if (args.zoneoutCell.mode === 'mask')
    checkArray('lstmForward', 'zoneoutCell.mask', args.zoneoutCell.mask, steps * batch * units);
  const { batch: B, steps: T, inputDim: D, units: H } = args.dims;
  const HP = pad8(H);
  const fr = lstmFrame(rt, args);
  const scratch = new Frame(rt);
  try {
    fr.set(
      F.WP,
      packWeights(rt, scratch, F.WP, args.kernel, D, G, H, {
        transposed: false,
        kRows: D + 1,
        extra: args.bias,
      }),
    );
    fr.set(
      F.UP,
      packWeights(rt, scratch, F.UP, args.recurrentKernel, H, G, H, { transposed: false, kRows: HP }),
    );
    const [mid] = rowSplit(B, rt.threads());
    rt.run('lstmForward', [fr.ctx, 0, mid], mid < B ? [fr.ctx, mid, B] : null);
    const mem = rt.f32();
    const hs = fr.at(F.HS);
    const sequence = new Float32Array(B * T * H);
    for (let b = 0; b < B; b++) {
      sequence.set(getRows(mem, hs + (b * (T + 1) + 1) * HP, HP, T, H), b * T * H);
    }
    const h = getRows(mem, hs + T * HP, (T + 1) * HP, B, H);
    const c = getRows(mem, fr.at(F.CS) + T * HP, (T + 1) * HP, B, H);
    fr.set(F.WP, 0);
    fr.set(F.UP, 0);
    return { sequence, h, c, tape: keepTape ? new WasmTape(fr) : null };
  } catch (e) {
    fr.release();
    throw e;
  } finally {
    scratch.release();
    if (!keepTape) fr.release();
  }
}

export function lstmBackward(
  rt: WasmRuntime,
  args: LstmArgs,
  tape: WasmTape,
  dSequence: Float32Array,
  dh: Float32Array,
  dc: Float32Array,
): LstmGrads {
  const fr = tape.take();
  const scratch = new Frame(rt);
  try {
    const { batch: B, steps: T, inputDim: D, units: H } = args.dims;
    const HP = pad8(H);
    const NP = G * HP;
    const DP = pad8(D);
    if (dSequence.length !== B * T * H || dh.length !== B * H || dc.length !== B * H) {
      throw new Error(
        `lstmBackward: output gradients must have the shapes of the outputs ([${B}, ${T}, ${H}], [${B}, ${H}], [${B}, ${H}])`,
      );
    }
    fr.set(F.WTP, packWeights(rt, scratch, F.WTP, args.kernel, D, G, H, { transposed: true }));
    fr.set(F.UTP, packWeights(rt, scratch, F.UTP, args.recurrentKernel, H, G, H, { transposed: true }));
    fr.put(F.DSEQ, dSequence, B * T, H, HP);
    fr.put(F.DHT, dh, B, H, HP);
    fr.put(F.DCT, dc, B, H, HP);
    fr.buffer(F.DAP, B * T * NP);
    fr.buffer(F.DXO, B * T * DP);
    fr.buffer(F.DHC, B * HP);
    fr.buffer(F.DCC, B * HP);
    fr.buffer(F.DHH, B * HP);
    fr.buffer(F.DW, (D + 1) * NP);
    fr.buffer(F.DU, HP * NP);
    const [mid] = rowSplit(B, rt.threads());
    rt.run('lstmBackward', [fr.ctx, 0, mid], mid < B ? [fr.ctx, mid, B] : null);
    const [p0, p1] = panelSplit(NP / 8, rt.threads());
    rt.run('weightGrads', [fr.ctx, 0, p0], p0 < p1 ? [fr.ctx, p0, p1] : null);
    const mem = rt.f32();
    const dw = fr.at(F.DW);
    return {
      dx: getInputGrads(mem, fr.at(F.DXO), B, T, D, DP, args.goBackwards),
      dKernel: getGated(mem, dw, NP, D, G, H, HP),
      dBias: getGated(mem, dw + D * NP, NP, 1, G, H, HP),
      dRecurrentKernel: getGated(mem, fr.at(F.DU), NP, H, G, H, HP),
      dh0: getRows(mem, fr.at(F.DHC), HP, B, H),
      dc0: getRows(mem, fr.at(F.DCC), HP, B, H),
    };
  } finally {
    scratch.release();
    fr.release();
  }
}
