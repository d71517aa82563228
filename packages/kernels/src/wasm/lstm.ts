/**
 * The whole-sequence LSTM of the FusedImpl contract on the WebAssembly kernels
 * (wasm/assembly/lstm.ts): copy in (padded, processing order), run the rows on one or two threads,
 * copy out. The forward frame (inputs, activations, states) is the tape of the backward call.
 * With `norm` (layer norm or recurrent batch norm) the call runs wasm/assembly/lstm-norm.ts
 * (batch norm on one thread: its statistics span the batch); the input bias then goes in after
 * N_x instead of through the input GEMM.
 */
import type { LstmArgs, LstmForwardResult, LstmGrads } from '../fused/impl.js';
import { F, pad8 } from './context.js';
import { Frame, WasmTape } from './frame.js';
import { getGated, getInputGrads, getRows, getStateHistory, getStepMajor, putGated } from './layout.js';
import { batchStats, checkNorm, normGrads, putNorm, putNormBackward, spansBatch } from './norm.js';
import type { WasmRuntime } from './runtime.js';
import { checkArray, checkCommon, rowSplit, sequenceGradient } from './checks.js';
import { commonFrame, packWeights } from './common.js';

const G = 4;

export function lstmForward(rt: WasmRuntime, args: LstmArgs, keepTape: boolean): LstmForwardResult {
  checkCommon('lstmForward', args, G, 4 * args.dims.units);
  const { batch, steps, units } = args.dims;
  checkArray('lstmForward', 'c0', args.c0, batch * units);
  if (args.zoneoutCell.mode === 'mask')
    checkArray('lstmForward', 'zoneoutCell.mask', args.zoneoutCell.mask, steps * batch * units);
  const { batch: B, steps: T, inputDim: D, units: H } = args.dims;
  const norm = args.norm;
  const nd = { B, T, H, G, cell: true };
  if (norm) checkNorm('lstmForward', norm, nd);
  const HP = pad8(H);
  const fr = commonFrame(rt, args, G);
  fr.put(F.C0, args.c0, B, H, HP);
  fr.zoneout(F.ZC, args.zoneoutCell, T * B, H, HP);
  fr.buffer(F.YS, B * T * HP);
  fr.buffer(F.CS, B * (T + 1) * HP);
  const scratch = new Frame(rt);
  fr.set(F.SCR, scratch.buffer(F.SCR, B * G * HP) * 4);
  try {
    if (norm) {
      putNorm(fr, norm, nd);
      const nb = fr.buffer(F.NBIAS, G * HP, true); // before rt.f32(): allocating may grow the memory
      putGated(rt.f32(), nb, args.bias, 1, G, H, HP);
    }
    fr.set(
      F.WP,
      packWeights(rt, scratch, F.WP, args.kernel, D, G, H, {
        transposed: false,
        kRows: D + 1,
        extra: norm ? undefined : args.bias, // normalised: a zero row, b is added after N_x
      }),
    );
    fr.set(
      F.UP,
      packWeights(rt, scratch, F.UP, args.recurrentKernel, H, G, H, { transposed: false, kRows: HP }),
    );
    const [mid] = spansBatch(norm) ? [B] : rowSplit(B, rt.threads());
    rt.run(norm ? 'lstmNormForward' : 'lstmForward', [fr.ctx, 0, mid], mid < B ? [fr.ctx, mid, B] : null);
    const mem = rt.f32();
    const hs = fr.at(F.HS);
    const { sequence, last: h } = getStateHistory(mem, hs, B, T, H, HP);
    const c = getRows(mem, fr.at(F.CS) + T * HP, (T + 1) * HP, B, H);
    fr.set(F.WP, 0);
    fr.set(F.UP, 0);
    const stats = norm ? batchStats(fr, norm, nd) : undefined;
    return {
      sequence,
      h,
      c,
      tape: keepTape ? new WasmTape(fr) : null,
      ...(stats ? { batchStats: stats } : {}),
    };
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
    const dSeq = sequenceGradient(dSequence, B * T * H);
    if (dSeq === null || dh.length !== B * H || dc.length !== B * H) {
      throw new Error(
        `lstmBackward: output gradients must have the shapes of the outputs ([${B}, ${T}, ${H}], [${B}, ${H}], [${B}, ${H}])`,
      );
    }
    fr.set(F.WTP, packWeights(rt, scratch, F.WTP, args.kernel, D, G, H, { transposed: true }));
    fr.set(F.UTP, packWeights(rt, scratch, F.UTP, args.recurrentKernel, H, G, H, { transposed: true }));
    fr.put(F.DSEQ, dSeq, B * T, H, HP);
    fr.put(F.DHT, dh, B, H, HP);
    fr.put(F.DCT, dc, B, H, HP);
    fr.buffer(F.DAP, B * T * NP);
    fr.buffer(F.DXO, B * T * DP);
    fr.buffer(F.DHC, B * HP);
    fr.buffer(F.DCC, B * HP);
    fr.buffer(F.DHH, B * HP);
    fr.buffer(F.DW, (D + 1) * NP);
    fr.buffer(F.DU, HP * NP);
    if (args.stateGradientNorms === true) {
      fr.buffer(F.GNH, B * T);
      fr.buffer(F.GNC, B * T);
    }
    const norm = args.norm;
    const nd = { B, T, H, G, cell: true };
    if (norm) putNormBackward(fr, nd);
    const [mid] = spansBatch(norm) ? [B] : rowSplit(B, rt.threads());
    rt.run(norm ? 'lstmNormBackward' : 'lstmBackward', [fr.ctx, 0, mid], mid < B ? [fr.ctx, mid, B] : null);
    const parts = rt.threads() > 1 ? 2 : 1;
    rt.run('weightGrads', [fr.ctx, 0, parts], parts > 1 ? [fr.ctx, 1, parts] : null);
    // normalised: ∂γ, ∂β and the bias row of dW (Σ ∂a, over the GEMM's Σ ∂(x·W))
    if (norm) rt.run('normGrads', [fr.ctx, 0, parts], parts > 1 ? [fr.ctx, 1, parts] : null);
    const mem = rt.f32();
    const dw = fr.at(F.DW);
    return {
      ...(norm ? { norm: normGrads(fr, nd) } : {}),
      dx: getInputGrads(mem, fr.at(F.DXO), B, T, D, DP, args.goBackwards),
      dKernel: getGated(mem, dw, NP, D, G, H, HP),
      dBias: getGated(mem, dw + D * NP, NP, 1, G, H, HP),
      dRecurrentKernel: getGated(mem, fr.at(F.DU), NP, H, G, H, HP),
      dh0: getRows(mem, fr.at(F.DHC), HP, B, H),
      dc0: getRows(mem, fr.at(F.DCC), HP, B, H),
      ...(args.stateGradientNorms === true
        ? { dhNorms: getStepMajor(mem, fr.at(F.GNH), B, T), dcNorms: getStepMajor(mem, fr.at(F.GNC), B, T) }
        : {}),
    };
  } finally {
    scratch.release();
    fr.release();
  }
}
