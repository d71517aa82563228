/**
 * The whole-sequence GRU of the FusedImpl contract on the WebAssembly kernels
 * (wasm/assembly/gru.ts), reset-before (tfjs) and reset-after (Keras). Same flow as ./lstm.ts.
 * With `norm` (layer norm or recurrent batch norm) the call runs wasm/assembly/gru-norm.ts (batch
 * norm on one thread: its statistics span the batch); the input bias then goes in after N_x.
 */
import type { GruArgs, GruForwardResult, GruGrads } from '../fused/impl.js';
import { checkCommon, rowSplit, sequenceGradient } from './checks.js';
import { commonFrame, packWeights } from './common.js';
import { F, pad8 } from './context.js';
import { Frame, WasmTape } from './frame.js';
import { getGated, getInputGrads, getRows, getStateHistory, getStepMajor, putGated } from './layout.js';
import { batchStats, checkNorm, normGrads, putNorm, putNormBackward, spansBatch } from './norm.js';
import type { WasmRuntime } from './runtime.js';

const G = 3;

export function gruForward(rt: WasmRuntime, args: GruArgs, keepTape: boolean): GruForwardResult {
  const H = args.dims.units;
  checkCommon('gruForward', args, G, (args.resetAfter ? 2 : 1) * 3 * H);
  const { batch: B, steps: T, inputDim: D } = args.dims;
  const norm = args.norm;
  const nd = { B, T, H, G, cell: false };
  if (norm) checkNorm('gruForward', norm, nd);
  const HP = pad8(H);
  const NP = G * HP;
  const fr = commonFrame(rt, args, G);
  const scratch = new Frame(rt);
  try {
    fr.set(F.RESET_AFTER, args.resetAfter ? 1 : 0);
    const inBias = args.bias.subarray(0, 3 * H);
    if (norm) {
      putNorm(fr, norm, nd);
      const nb = fr.buffer(F.NBIAS, NP, true); // before rt.f32(): allocating may grow the memory
      putGated(rt.f32(), nb, inBias, 1, G, H, HP);
      fr.set(F.SCR, scratch.buffer(F.SCR, B * NP) * 4);
    }
    if (args.resetAfter) {
      fr.buffer(F.PREU, B * T * NP);
      // the recurrent bias, gate-padded to [NP]
      const br = new Float32Array(NP);
      for (let g = 0; g < G; g++) br.set(args.bias.subarray(3 * H + g * H, 3 * H + (g + 1) * H), g * HP);
      fr.put(F.BREC, br, 1, NP, NP);
    } else {
      fr.buffer(F.Q, B * T * HP);
    }
    const wp = packWeights(rt, scratch, F.WP, args.kernel, D, G, H, {
      transposed: false,
      kRows: D + 1,
      extra: norm ? undefined : inBias, // normalised: a zero row, b_in is added after N_x
    });
    const up = packWeights(rt, scratch, F.UP, args.recurrentKernel, H, G, H, {
      transposed: false,
      kRows: HP,
    });
    fr.set(F.WP, wp);
    fr.set(F.UP, up);
    const [mid] = spansBatch(norm) ? [B] : rowSplit(B, rt.threads());
    rt.run(norm ? 'gruNormForward' : 'gruForward', [fr.ctx, 0, mid], mid < B ? [fr.ctx, mid, B] : null);
    fr.set(F.WP, 0);
    fr.set(F.UP, 0);
    const mem = rt.f32();
    const hs = fr.at(F.HS);
    const { sequence, last: h } = getStateHistory(mem, hs, B, T, H, HP);
    const stats = norm ? batchStats(fr, norm, nd) : undefined;
    return { sequence, h, tape: keepTape ? new WasmTape(fr) : null, ...(stats ? { batchStats: stats } : {}) };
  } catch (e) {
    fr.release();
    throw e;
  } finally {
    scratch.release();
    if (!keepTape) fr.release();
  }
}

export function gruBackward(
  rt: WasmRuntime,
  args: GruArgs,
  tape: WasmTape,
  dSequence: Float32Array,
  dh: Float32Array,
): GruGrads {
  const fr = tape.take();
  const scratch = new Frame(rt);
  try {
    const { batch: B, steps: T, inputDim: D, units: H } = args.dims;
    const HP = pad8(H);
    const NP = G * HP;
    const DP = pad8(D);
    const dSeq = sequenceGradient(dSequence, B * T * H);
    if (dSeq === null || dh.length !== B * H) {
      throw new Error(
        `gruBackward: output gradients must have the shapes of the outputs ([${B}, ${T}, ${H}], [${B}, ${H}])`,
      );
    }
    fr.set(F.WTP, packWeights(rt, scratch, F.WTP, args.kernel, D, G, H, { transposed: true }));
    fr.set(F.UTP, packWeights(rt, scratch, F.UTP, args.recurrentKernel, H, G, H, { transposed: true }));
    fr.put(F.DSEQ, dSeq, B * T, H, HP);
    fr.put(F.DHT, dh, B, H, HP);
    fr.buffer(F.DAP, B * T * NP);
    const norm = args.norm;
    const nd = { B, T, H, G, cell: false };
    if (norm) putNormBackward(fr, nd);
    if (args.resetAfter) {
      if (!norm) fr.buffer(F.DAPX, B * T * HP);
      fr.buffer(F.DBREC, NP);
    } else {
      fr.buffer(F.DQ, B * HP);
    }
    fr.buffer(F.DXO, B * T * DP);
    fr.buffer(F.DHC, B * HP);
    fr.buffer(F.DHH, B * HP);
    fr.buffer(F.DW, (D + 1) * NP);
    fr.buffer(F.DU, HP * NP);
    if (args.stateGradientNorms === true) fr.buffer(F.GNH, B * T);
    const [mid] = spansBatch(norm) ? [B] : rowSplit(B, rt.threads());
    rt.run(norm ? 'gruNormBackward' : 'gruBackward', [fr.ctx, 0, mid], mid < B ? [fr.ctx, mid, B] : null);
    const parts = rt.threads() > 1 ? 2 : 1;
    const wg = norm ? 'gruNormWeightGrads' : 'gruWeightGrads';
    rt.run(wg, [fr.ctx, 0, parts], parts > 1 ? [fr.ctx, 1, parts] : null);
    // normalised: ∂γ and the bias rows (Σ ∂a over the dW GEMM's Σ ∂(x·W); db_rec = Σ ∂N_h)
    if (norm) rt.run('gruNormGrads', [fr.ctx, 0, parts], parts > 1 ? [fr.ctx, 1, parts] : null);
    const mem = rt.f32();
    const dw = fr.at(F.DW);
    const dbIn = getGated(mem, dw + D * NP, NP, 1, G, H, HP);
    let dBias = dbIn;
    if (args.resetAfter) {
      dBias = new Float32Array(6 * H);
      dBias.set(dbIn);
      dBias.set(getGated(mem, fr.at(F.DBREC), NP, 1, G, H, HP), 3 * H);
    }
    return {
      ...(norm ? { norm: normGrads(fr, nd) } : {}),
      dx: getInputGrads(mem, fr.at(F.DXO), B, T, D, DP, args.goBackwards),
      dKernel: getGated(mem, dw, NP, D, G, H, HP),
      dRecurrentKernel: getGated(mem, fr.at(F.DU), NP, H, G, H, HP),
      dBias,
      dh0: getRows(mem, fr.at(F.DHC), HP, B, H),
      ...(args.stateGradientNorms === true ? { dhNorms: getStepMajor(mem, fr.at(F.GNH), B, T) } : {}),
    };
  } finally {
    scratch.release();
    fr.release();
  }
}
