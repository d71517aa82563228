/**
 * The FusedImpl of the native addon: packs the arguments into the addon's flat layout (ints,
 * floats, buffer list, each slot named in ../fused/abi.ts, from which the addon's native/src/abi.h
 * is generated), allocates outputs and the tape in JavaScript (so the garbage collector owns all
 * memory), and calls the C++ kernels.
 */
import type {
  ConvGeometry,
  FusedCommonArgs,
  FusedDropout,
  FusedImpl,
  FusedNorm,
  FusedNormStats,
  FusedTape,
  FusedZoneout,
  GruArgs,
  GruForwardResult,
  GruGrads,
  LstmArgs,
  LstmForwardResult,
  LstmGrads,
} from '../fused/impl.js';
import {
  CONV_INTS,
  DEPTHWISE_OP,
  POOL_OP,
  NATIVE_BUFFERS,
  NATIVE_FLOATS,
  NATIVE_INTS,
  RING_TAPE_STEPS,
  NORM_KIND,
  NORM_SCOPE,
  lstmNormCTapeLength,
  lstmNormXTapeLength,
  lstmRecomputesNormX,
  ZONEOUT_MODE,
  inSlots,
} from '../fused/abi.js';
import { dropoutDraw } from '../fused/dropout-hash.js';
import { zoneoutDraw } from '../fused/zoneout-hash.js';
import type { NativeBinding } from './binding.js';
import { BufferPool } from './buffer-pool.js';

interface LstmTape {
  gates: Float32Array; // [T, B, 4H]
  hs: Float32Array; // [T + 1, B, H]
  cs: Float32Array; // [T + 1, B, H]
  pc: Float32Array; // [T, B, H]
  norm: NormTape | null;
}
interface GruTape {
  gates: Float32Array; // [T, B, 3H]
  hs: Float32Array; // [T + 1, B, H]
  uh: Float32Array; // [T, B, H]
  norm: NormTape | null;
}
/** The normalisation's tape (layouts: NORM_KIND in ../fused/abi.ts). */
interface NormTape {
  normX: Float32Array; // [T·B, G·H] x̂ (the LSTM's: lstmNormXTapeLength)
  normH: Float32Array; // [T·B, G·H] x̂
  normC: Float32Array | null; // [T·B, H] x̂_c (LSTM: lstmNormCTapeLength)
  rstdX: Float32Array; // LN [T·B, G], BN [T, G·H]
  rstdH: Float32Array;
  rstdC: Float32Array | null; // LN [T·B], BN [T, H]
}

/** Allocates the norm tape of a call with G gate blocks (cell: the LSTM's N_c). */
function takeNormTape(
  pool: BufferPool,
  n: FusedNorm | undefined,
  dims: { steps: number; batch: number; inputDim: number; units: number },
  G: number,
  cell: boolean,
  ring = false,
): NormTape | null {
  if (n === undefined) return null;
  const { steps: T, batch: B, units: H } = dims;
  const rstd = (blocks: number) => pool.take(n.kind === 'layer' ? T * B * blocks : T * blocks * H);
  return {
    normX: pool.take(cell ? lstmNormXTapeLength(n.kind, dims) : T * B * G * H),
    normH: pool.take((ring ? RING_TAPE_STEPS : T) * B * G * H), // x̂_h, the only [T·B] norm tape a ring takes
    normC: cell ? pool.take(lstmNormCTapeLength(n.kind, dims)) : null,
    rstdX: rstd(G),
    rstdH: rstd(G),
    rstdC: cell ? rstd(1) : null,
  };
}

function giveNormTape(pool: BufferPool, t: NormTape | null): void {
  if (t === null) return;
  pool.give(t.normX, t.normH, t.rstdX, t.rstdH);
  if (t.normC) pool.give(t.normC);
  if (t.rstdC) pool.give(t.rstdC);
}

/** Batch norm training: fresh per-step statistics for the call to fill ([T, F]); else undefined. */
function batchStatsFor(n: FusedNorm | undefined, T: number, H: number, G: number, cell: boolean) {
  if (n === undefined || n.kind !== 'batch' || !n.training) return undefined;
  const s: FusedNormStats = {
    meanX: new Float32Array(T * G * H),
    varianceX: new Float32Array(T * G * H),
    meanH: new Float32Array(T * G * H),
    varianceH: new Float32Array(T * G * H),
  };
  if (cell) {
    s.meanC = new Float32Array(T * H);
    s.varianceC = new Float32Array(T * H);
  }
  return s;
}

/** The moving statistics a batch-norm inference call reads (null otherwise). */
function movingOf(n: FusedNorm | undefined): Partial<FusedNormStats> {
  return n !== undefined && n.kind === 'batch' && !n.training ? (n.moving ?? {}) : {};
}

/** One state's zoneout as the addon reads it: mode, seeded draw (key, threshold), rate, mask. */
function zoneParams(z: FusedZoneout): {
  mode: number;
  key: number;
  threshold: number;
  rate: number;
  mask: Float32Array | null;
} {
  const draw = z.mode === 'seeded' ? zoneoutDraw(z.seed, z.rate) : { key: 0, threshold: 0 };
  return {
    mode: ZONEOUT_MODE[z.mode],
    key: draw.key | 0,
    threshold: draw.threshold,
    rate: z.mode === 'expectation' || z.mode === 'seeded' ? z.rate : 0,
    mask: z.mode === 'mask' ? z.mask : null,
  };
}

/** A seeded dropout mask as the addon reads it (all 0 when there is none). */
function dropParams(d: FusedDropout | null | undefined): {
  seeded: number;
  key: number;
  threshold: number;
  scale: number;
} {
  if (d === null || d === undefined) return { seeded: 0, key: 0, threshold: 0, scale: 0 };
  const draw = dropoutDraw(d.seed, d.rate);
  return { seeded: 1, key: draw.key | 0, threshold: draw.threshold, scale: draw.scale };
}

/** The `ints` and `floats` arguments (NATIVE_INTS, NATIVE_FLOATS); the GRU passes no cell zoneout. */
function scalars(
  a: FusedCommonArgs,
  zc: FusedZoneout,
  resetAfter: boolean,
  norm: FusedNorm | undefined,
  ringTape = false,
): { ints: Int32Array; floats: Float64Array } {
  const c = zoneParams(zc);
  const h = zoneParams(a.zoneoutHidden);
  const rd = dropParams(a.recurrentDropout);
  const cd = dropParams(a.candidateDropout);
  const ints = inSlots(NATIVE_INTS, {
    batch: a.dims.batch,
    steps: a.dims.steps,
    inputDim: a.dims.inputDim,
    units: a.dims.units,
    goBackwards: a.goBackwards ? 1 : 0,
    activation: a.activation,
    recurrentActivation: a.recurrentActivation,
    candidatePerStep: a.candidatePerStep ? 1 : 0,
    zoneoutCellMode: c.mode,
    zoneoutCellKey: c.key,
    zoneoutCellThreshold: c.threshold,
    zoneoutHiddenMode: h.mode,
    zoneoutHiddenKey: h.key,
    zoneoutHiddenThreshold: h.threshold,
    resetAfter: resetAfter ? 1 : 0,
    recurrentPerStep: a.recurrentPerStep === true ? 1 : 0,
    recurrentDropoutSeeded: rd.seeded,
    recurrentDropoutKey: rd.key,
    recurrentDropoutThreshold: rd.threshold,
    candidateDropoutSeeded: cd.seeded,
    candidateDropoutKey: cd.key,
    candidateDropoutThreshold: cd.threshold,
    stateGradientNorms: a.stateGradientNorms === true ? 1 : 0,
    normKind: norm ? NORM_KIND[norm.kind] : NORM_KIND.none,
    normScope: norm ? NORM_SCOPE[norm.scope] : 0,
    normTraining: norm?.training ? 1 : 0,
    normMaxSteps: norm ? norm.maxSteps : 0,
    ringTape: ringTape ? 1 : 0,
  });
  const floats = inSlots(NATIVE_FLOATS, {
    zoneoutCellRate: c.rate,
    zoneoutHiddenRate: h.rate,
    recurrentDropoutScale: rd.scale,
    candidateDropoutScale: cd.scale,
    normEpsilon: norm ? norm.epsilon : 0,
  });
  return { ints: Int32Array.from(ints), floats: Float64Array.from(floats) };
}

/**
 * Whether a forward call runs on a ring tape (abi `ringTape`): when no tape is kept (no gradient is
 * being recorded) the gates and states of only RING_TAPE_STEPS steps are needed, so an inference
 * call's memory no longer grows with the sequence (pmnist, batch 256: 561 MB → 1.4 MB). Layer
 * norm, and batch norm with a kept x̂_x, project and normalise every step's input at once, so they
 * keep the full tape; the LSTM's batch-norm inference that recomputes x̂_x (lstmRecomputesNormX)
 * normalises step by step in its loop and takes the ring too (its x̂_h tape included).
 */
function ringTape(keepTape: boolean, norm: FusedNorm | undefined, lstm: boolean, inputDim: number): boolean {
  if (keepTape) return false;
  if (norm === undefined) return true;
  return lstm && norm.kind === 'batch' && norm.training !== true && lstmRecomputesNormX(norm.kind, inputDim);
}

type Buffer = Float32Array | null;

/** The LSTM inputs (NATIVE_BUFFERS.lstm), which every LSTM call's `bufs` starts with. */
function lstmInputs(a: LstmArgs): Buffer[] {
  const m = movingOf(a.norm);
  return inSlots(NATIVE_BUFFERS.lstm, {
    x: a.x,
    kernel: a.kernel,
    recurrentKernel: a.recurrentKernel,
    bias: a.bias,
    h0: a.h0,
    c0: a.c0,
    recurrentMask: a.recurrentMask,
    candidateMask: a.candidateMask,
    zoneoutCellMask: zoneParams(a.zoneoutCell).mask,
    zoneoutHiddenMask: zoneParams(a.zoneoutHidden).mask,
    stepMask: a.stepMask,
    gammaX: a.norm?.gammaX ?? null,
    gammaH: a.norm?.gammaH ?? null,
    gammaC: a.norm?.gammaC ?? null,
    betaC: a.norm?.betaC ?? null,
    movingMeanX: m.meanX ?? null,
    movingVarianceX: m.varianceX ?? null,
    movingMeanH: m.meanH ?? null,
    movingVarianceH: m.varianceH ?? null,
    movingMeanC: m.meanC ?? null,
    movingVarianceC: m.varianceC ?? null,
  });
}

/** The GRU inputs (NATIVE_BUFFERS.gru), which every GRU call's `bufs` starts with. */
function gruInputs(a: GruArgs): Buffer[] {
  const m = movingOf(a.norm);
  return inSlots(NATIVE_BUFFERS.gru, {
    x: a.x,
    kernel: a.kernel,
    recurrentKernel: a.recurrentKernel,
    bias: a.bias,
    h0: a.h0,
    recurrentMask: a.recurrentMask,
    candidateMask: a.candidateMask,
    zoneoutHiddenMask: zoneParams(a.zoneoutHidden).mask,
    stepMask: a.stepMask,
    gammaX: a.norm?.gammaX ?? null,
    gammaH: a.norm?.gammaH ?? null,
    movingMeanX: m.meanX ?? null,
    movingVarianceX: m.varianceX ?? null,
    movingMeanH: m.meanH ?? null,
    movingVarianceH: m.varianceH ?? null,
  });
}

/** A conv2d geometry as the addon reads it (CONV_INTS). */
function convInts(g: ConvGeometry): Int32Array {
  return Int32Array.from(inSlots(CONV_INTS, g));
}

/** An empty sequence (or its empty gradient) goes to the addon as null: not written, or read as 0. */
function orNull(a: Float32Array): Float32Array | null {
  return a.length === 0 ? null : a;
}

/** Wraps a loaded addon as a FusedImpl. */
export function nativeImpl(
  addon: NativeBinding,
  // Tape buffers go back to the pool once the backward call has consumed them (a tape is single
  // use: backward overwrites the gates with their gradients) or at once when no tape is kept.
  pool = new BufferPool(512 * 2 ** 20),
): FusedImpl & { isa(): string; setIsa(name: string): boolean } {
  return {
    name: 'native',
    normalization: true,
    lstmForward(a: LstmArgs, keepTape: boolean): LstmForwardResult {
      const { batch: B, steps: T, units: H } = a.dims;
      const seq = new Float32Array(a.sequenceOutput ? B * T * H : 0);
      const h = new Float32Array(B * H);
      const c = new Float32Array(B * H);
      const ring = ringTape(keepTape, a.norm, true, a.dims.inputDim);
      const S = ring ? RING_TAPE_STEPS : T; // steps of gates and PC (states: S + 1 unless ring)
      const states = (ring ? S : T + 1) * B * H;
      const tape: LstmTape = {
        gates: pool.take(S * B * 4 * H),
        hs: pool.take(states),
        cs: pool.take(states),
        pc: pool.take(S * B * H),
        norm: takeNormTape(pool, a.norm, a.dims, 4, true, ring),
      };
      const stats = batchStatsFor(a.norm, T, H, 4, true);
      const nt = tape.norm;
      const { ints, floats } = scalars(a, a.zoneoutCell, false, a.norm, ring);
      addon.lstmForward(ints, floats, [
        ...lstmInputs(a),
        ...inSlots(NATIVE_BUFFERS.lstmForward, {
          sequence: orNull(seq),
          h,
          c,
          tapeGates: tape.gates,
          tapeHs: tape.hs,
          tapeCs: tape.cs,
          tapePc: tape.pc,
          tapeNormX: nt?.normX ?? null,
          tapeNormH: nt?.normH ?? null,
          tapeNormC: nt?.normC ?? null,
          tapeRstdX: nt?.rstdX ?? null,
          tapeRstdH: nt?.rstdH ?? null,
          tapeRstdC: nt?.rstdC ?? null,
          batchMeanX: stats?.meanX ?? null,
          batchVarianceX: stats?.varianceX ?? null,
          batchMeanH: stats?.meanH ?? null,
          batchVarianceH: stats?.varianceH ?? null,
          batchMeanC: stats?.meanC ?? null,
          batchVarianceC: stats?.varianceC ?? null,
        }),
      ]);
      if (!keepTape) {
        pool.give(tape.gates, tape.hs, tape.cs, tape.pc);
        giveNormTape(pool, nt);
      }
      return { sequence: seq, h, c, tape: keepTape ? tape : null, batchStats: stats };
    },
    lstmBackward(
      a: LstmArgs,
      t: FusedTape,
      dSeq: Float32Array,
      dh: Float32Array,
      dc: Float32Array,
    ): LstmGrads {
      const tape = t as LstmTape;
      const { batch: B, steps: T, inputDim: D, units: H } = a.dims;
      // ∂U, ∂W, ∂b as consecutive views of one buffer: the kernel's single [Ĥᵀ; Xᵀ; 1ᵀ]·∂a
      // product then writes them in place, on all threads (no copy pass).
      const w = new Float32Array((H + D + 1) * 4 * H);
      const g: LstmGrads = {
        dx: new Float32Array(B * T * D),
        dKernel: w.subarray(H * 4 * H, (H + D) * 4 * H),
        dRecurrentKernel: w.subarray(0, H * 4 * H),
        dBias: w.subarray((H + D) * 4 * H),
        dh0: new Float32Array(B * H),
        dc0: new Float32Array(B * H),
        ...(a.stateGradientNorms
          ? { dhNorms: new Float32Array(T * B), dcNorms: new Float32Array(T * B) }
          : {}),
      };
      const nt = tape.norm;
      if (a.norm) {
        g.norm = {
          dGammaX: new Float32Array(4 * H),
          dGammaH: new Float32Array(4 * H),
          dGammaC: new Float32Array(H),
          dBetaC: new Float32Array(H),
        };
      }
      const { ints, floats } = scalars(a, a.zoneoutCell, false, a.norm);
      addon.lstmBackward(ints, floats, [
        ...lstmInputs(a),
        ...inSlots(NATIVE_BUFFERS.lstmBackward, {
          tapeGates: tape.gates,
          tapeHs: tape.hs,
          tapeCs: tape.cs,
          tapePc: tape.pc,
          dSequence: orNull(dSeq),
          dh,
          dc,
          dx: g.dx,
          dKernel: g.dKernel,
          dRecurrentKernel: g.dRecurrentKernel,
          dBias: g.dBias,
          dh0: g.dh0,
          dc0: g.dc0,
          dhNorms: g.dhNorms ?? null,
          dcNorms: g.dcNorms ?? null,
          tapeNormX: nt?.normX ?? null,
          tapeNormH: nt?.normH ?? null,
          tapeNormC: nt?.normC ?? null,
          tapeRstdX: nt?.rstdX ?? null,
          tapeRstdH: nt?.rstdH ?? null,
          tapeRstdC: nt?.rstdC ?? null,
          dGammaX: g.norm?.dGammaX ?? null,
          dGammaH: g.norm?.dGammaH ?? null,
          dGammaC: g.norm?.dGammaC ?? null,
          dBetaC: g.norm?.dBetaC ?? null,
        }),
      ]);
      pool.give(tape.gates, tape.hs, tape.cs, tape.pc);
      giveNormTape(pool, nt);
      return g;
    },
    gruForward(a: GruArgs, keepTape: boolean): GruForwardResult {
      const { batch: B, steps: T, units: H } = a.dims;
      const seq = new Float32Array(a.sequenceOutput ? B * T * H : 0);
      const h = new Float32Array(B * H);
      const ring = ringTape(keepTape, a.norm, false, a.dims.inputDim);
      const S = ring ? RING_TAPE_STEPS : T; // steps of gates and UH (states: S + 1 unless ring)
      const tape: GruTape = {
        gates: pool.take(S * B * 3 * H),
        hs: pool.take((ring ? S : T + 1) * B * H),
        uh: pool.take(S * B * H),
        norm: takeNormTape(pool, a.norm, a.dims, 3, false),
      };
      const stats = batchStatsFor(a.norm, T, H, 3, false);
      const nt = tape.norm;
      const { ints, floats } = scalars(a, { mode: 'none' }, a.resetAfter, a.norm, ring);
      addon.gruForward(ints, floats, [
        ...gruInputs(a),
        ...inSlots(NATIVE_BUFFERS.gruForward, {
          sequence: orNull(seq),
          h,
          tapeGates: tape.gates,
          tapeHs: tape.hs,
          tapeUh: tape.uh,
          tapeNormX: nt?.normX ?? null,
          tapeNormH: nt?.normH ?? null,
          tapeRstdX: nt?.rstdX ?? null,
          tapeRstdH: nt?.rstdH ?? null,
          batchMeanX: stats?.meanX ?? null,
          batchVarianceX: stats?.varianceX ?? null,
          batchMeanH: stats?.meanH ?? null,
          batchVarianceH: stats?.varianceH ?? null,
        }),
      ]);
      if (!keepTape) {
        pool.give(tape.gates, tape.hs, tape.uh);
        giveNormTape(pool, nt);
      }
      return { sequence: seq, h, tape: keepTape ? tape : null, batchStats: stats };
    },
    gruBackward(a: GruArgs, t: FusedTape, dSeq: Float32Array, dh: Float32Array): GruGrads {
      const tape = t as GruTape;
      const { batch: B, steps: T, inputDim: D, units: H } = a.dims;
      const g: GruGrads = {
        dx: new Float32Array(B * T * D),
        dKernel: new Float32Array(D * 3 * H),
        dRecurrentKernel: new Float32Array(H * 3 * H),
        dBias: new Float32Array(a.bias.length),
        dh0: new Float32Array(B * H),
        ...(a.stateGradientNorms ? { dhNorms: new Float32Array(T * B) } : {}),
      };
      const nt = tape.norm;
      if (a.norm) g.norm = { dGammaX: new Float32Array(3 * H), dGammaH: new Float32Array(3 * H) };
      const { ints, floats } = scalars(a, { mode: 'none' }, a.resetAfter, a.norm);
      addon.gruBackward(ints, floats, [
        ...gruInputs(a),
        ...inSlots(NATIVE_BUFFERS.gruBackward, {
          tapeGates: tape.gates,
          tapeHs: tape.hs,
          tapeUh: tape.uh,
          dSequence: orNull(dSeq),
          dh,
          dx: g.dx,
          dKernel: g.dKernel,
          dRecurrentKernel: g.dRecurrentKernel,
          dBias: g.dBias,
          dh0: g.dh0,
          dhNorms: g.dhNorms ?? null,
          tapeNormX: nt?.normX ?? null,
          tapeNormH: nt?.normH ?? null,
          tapeRstdX: nt?.rstdX ?? null,
          tapeRstdH: nt?.rstdH ?? null,
          dGammaX: g.norm?.dGammaX ?? null,
          dGammaH: g.norm?.dGammaH ?? null,
        }),
      ]);
      pool.give(tape.gates, tape.hs, tape.uh);
      giveNormTape(pool, nt);
      return g;
    },
    setThreads: (n: number) => addon.setThreads(n),
    threads: () => addon.threads(),
    describe: () => `native ${addon.isa()}, ${addon.threads()} thread${addon.threads() === 1 ? '' : 's'}`,
    sgemm(a, b, m, k, n, transA, transB, out) {
      const c = out !== undefined && out.length === m * n ? out : new Float32Array(m * n);
      addon.sgemm(a, b, c, m, k, n, transA, transB);
      return c;
    },
    binary: (op, mode, a, b, out, m) => addon.binary(op, mode, a, b, out, m),
    columnSums: (x, rows, width, out) => addon.columnSums(x, rows, width, out),
    uniformMask: (state, keep, value, out) => addon.uniformMask(state, keep, value, out),
    unary: (op, x, out) => addon.unary(op, x, out),
    conv2d: {
      forward: (g, x, filter, y) => addon.conv2dForward(convInts(g), x, filter, y),
      backpropInput: (g, dy, filter, dx) => addon.conv2dBackpropInput(convInts(g), dy, filter, dx),
      backpropFilter: (g, x, dy, dfilter) => addon.conv2dBackpropFilter(convInts(g), x, dy, dfilter),
    },
    pool2d: {
      maxPool: (g, x, y) => addon.pool2d(POOL_OP.maxPool, convInts(g), x, null, y),
      avgPool: (g, x, y) => addon.pool2d(POOL_OP.avgPool, convInts(g), x, null, y),
      maxPoolGrad: (g, x, dy, dx) => addon.pool2d(POOL_OP.maxPoolGrad, convInts(g), x, dy, dx),
      avgPoolGrad: (g, dy, dx) => addon.pool2d(POOL_OP.avgPoolGrad, convInts(g), dy, null, dx),
    },
    depthwiseConv2d: {
      forward: (g, x, f, y) => addon.depthwise2d(DEPTHWISE_OP.forward, convInts(g), x, f, y),
      backpropInput: (g, dy, f, dx) => addon.depthwise2d(DEPTHWISE_OP.backpropInput, convInts(g), dy, f, dx),
      backpropFilter: (g, x, dy, df) =>
        addon.depthwise2d(DEPTHWISE_OP.backpropFilter, convInts(g), x, dy, df),
    },
    optimizerUpdate: (kind, w, g, s0, s1, params) => addon.optimizerUpdate(kind, w, g, s0, s1, params),
    isa: () => addon.isa(),
    setIsa: (name: string) => addon.setIsa(name),
  };
}
