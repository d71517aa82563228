/**
 * The FusedImpl of the native addon: packs the arguments into the addon's flat layout
 * (ints, floats, buffer list; see native/src/addon.cc), allocates outputs and the tape in
 * JavaScript (so the garbage collector owns all memory), and calls the C++ kernels.
 */
import type {
  FusedCommonArgs,
  FusedImpl,
  FusedTape,
  FusedZoneout,
  GruArgs,
  GruForwardResult,
  GruGrads,
  LstmArgs,
  LstmForwardResult,
  LstmGrads,
} from '../fused/impl.js';
import type { NativeBinding } from './binding.js';
import { BufferPool } from './buffer-pool.js';

const ZONE_MODE = { none: 0, mask: 1, expectation: 2, seeded: 3 } as const;

interface LstmTape {
  gates: Float32Array; // [T, B, 4H]
  hs: Float32Array; // [T + 1, B, H]
  cs: Float32Array; // [T + 1, B, H]
  pc: Float32Array; // [T, B, H]
}
interface GruTape {
  gates: Float32Array; // [T, B, 3H]
  hs: Float32Array; // [T + 1, B, H]
  uh: Float32Array; // [T, B, H]
}

function zoneParams(z: FusedZoneout): {
  mode: number;
  rate: number;
  seed: number;
  mask: Float32Array | null;
} {
  switch (z.mode) {
    case 'none':
      return { mode: 0, rate: 0, seed: 0, mask: null };
    case 'mask':
      return { mode: ZONE_MODE.mask, rate: 0, seed: 0, mask: z.mask };
    case 'expectation':
      return { mode: ZONE_MODE.expectation, rate: z.rate, seed: 0, mask: null };
    case 'seeded':
      return { mode: ZONE_MODE.seeded, rate: z.rate, seed: z.seed, mask: null };
  }
}

function scalars(
  a: FusedCommonArgs,
  zc: FusedZoneout,
  resetAfter: boolean,
): { ints: Int32Array; floats: Float64Array } {
  const { batch, steps, inputDim, units } = a.dims;
  const c = zoneParams(zc);
  const h = zoneParams(a.zoneoutHidden);
  const ints = Int32Array.of(
    batch,
    steps,
    inputDim,
    units,
    a.goBackwards ? 1 : 0,
    a.activation,
    a.recurrentActivation,
    a.candidatePerStep ? 1 : 0,
    c.mode,
    h.mode,
    c.seed | 0,
    h.seed | 0,
    resetAfter ? 1 : 0,
  );
  return { ints, floats: Float64Array.of(c.rate, h.rate) };
}

function lstmInputs(a: LstmArgs): (Float32Array | null)[] {
  return [
    a.x,
    a.kernel,
    a.recurrentKernel,
    a.bias,
    a.h0,
    a.c0,
    a.recurrentMask,
    a.candidateMask,
    zoneParams(a.zoneoutCell).mask,
    zoneParams(a.zoneoutHidden).mask,
    a.stepMask,
  ];
}

function gruInputs(a: GruArgs): (Float32Array | null)[] {
  return [
    a.x,
    a.kernel,
    a.recurrentKernel,
    a.bias,
    a.h0,
    a.recurrentMask,
    a.candidateMask,
    zoneParams(a.zoneoutHidden).mask,
    a.stepMask,
  ];
}

/** An empty sequence (or its empty gradient) goes to the addon as null: not written, or read as 0. */
function orNull(a: Float32Array): Float32Array | null {
  return a.length === 0 ? null : a;
}

/** Wraps a loaded addon as a FusedImpl. */
export function nativeImpl(
  addon: NativeBinding,
): FusedImpl & { isa(): string; setIsa(name: string): boolean } {
  // Tape buffers go back to the pool once the backward call has consumed them (a tape is single
  // use: backward overwrites the gates with their gradients) or at once when no tape is kept.
  const pool = new BufferPool(512 * 2 ** 20);
  return {
    name: 'native',
    lstmForward(a: LstmArgs, keepTape: boolean): LstmForwardResult {
      const { batch: B, steps: T, units: H } = a.dims;
      const seq = new Float32Array(a.sequenceOutput ? B * T * H : 0);
      const h = new Float32Array(B * H);
      const c = new Float32Array(B * H);
      const tape: LstmTape = {
        gates: pool.take(T * B * 4 * H),
        hs: pool.take((T + 1) * B * H),
        cs: pool.take((T + 1) * B * H),
        pc: pool.take(T * B * H),
      };
      const { ints, floats } = scalars(a, a.zoneoutCell, false);
      addon.lstmForward(ints, floats, [
        ...lstmInputs(a),
        orNull(seq),
        h,
        c,
        tape.gates,
        tape.hs,
        tape.cs,
        tape.pc,
      ]);
      if (!keepTape) pool.give(tape.gates, tape.hs, tape.cs, tape.pc);
      return { sequence: seq, h, c, tape: keepTape ? tape : null };
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
      };
      const { ints, floats } = scalars(a, a.zoneoutCell, false);
      addon.lstmBackward(ints, floats, [
        ...lstmInputs(a),
        tape.gates,
        tape.hs,
        tape.cs,
        tape.pc,
        orNull(dSeq),
        dh,
        dc,
        g.dx,
        g.dKernel,
        g.dRecurrentKernel,
        g.dBias,
        g.dh0,
        g.dc0,
      ]);
      pool.give(tape.gates, tape.hs, tape.cs, tape.pc);
      return g;
    },
    gruForward(a: GruArgs, keepTape: boolean): GruForwardResult {
      const { batch: B, steps: T, units: H } = a.dims;
      const seq = new Float32Array(a.sequenceOutput ? B * T * H : 0);
      const h = new Float32Array(B * H);
      const tape: GruTape = {
        gates: pool.take(T * B * 3 * H),
        hs: pool.take((T + 1) * B * H),
        uh: pool.take(T * B * H),
      };
      const { ints, floats } = scalars(a, { mode: 'none' }, a.resetAfter);
      addon.gruForward(ints, floats, [...gruInputs(a), orNull(seq), h, tape.gates, tape.hs, tape.uh]);
      if (!keepTape) pool.give(tape.gates, tape.hs, tape.uh);
      return { sequence: seq, h, tape: keepTape ? tape : null };
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
      };
      const { ints, floats } = scalars(a, { mode: 'none' }, a.resetAfter);
      addon.gruBackward(ints, floats, [
        ...gruInputs(a),
        tape.gates,
        tape.hs,
        tape.uh,
        orNull(dSeq),
        dh,
        g.dx,
        g.dKernel,
        g.dRecurrentKernel,
        g.dBias,
        g.dh0,
      ]);
      pool.give(tape.gates, tape.hs, tape.uh);
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
    unary: (op, x, out) => addon.unary(op, x, out),
    optimizerUpdate: (kind, w, g, s0, s1, params) => addon.optimizerUpdate(kind, w, g, s0, s1, params),
    isa: () => addon.isa(),
    setIsa: (name: string) => addon.setIsa(name),
  };
}
