/**
 * The JavaScript side of normalisation inside the WebAssembly cells (wasm/assembly/norm.ts,
 * lstm-norm.ts; design: NORM_KIND of ../fused/abi.ts): the checks of a FusedNorm, its context
 * fields, γ / β and the statistics in the kernels' padded layout, the x̂ / rstd tapes, and the
 * batch statistics and parameter gradients read back. G gate blocks of H units (HP padded); `cell`:
 * the LSTM's N_c (γ_c, β_c, statistics of c̃).
 */
import { NORM_KIND, NORM_SCOPE } from '../fused/abi.js';
import type { FusedNorm, FusedNormGrads, FusedNormStats } from '../fused/impl.js';
import { checkArray } from './checks.js';
import { F, pad8 } from './context.js';
import type { Frame } from './frame.js';
import { getGated, getRows, putGated } from './layout.js';

interface NormDims {
  B: number;
  T: number;
  H: number;
  G: number;
  cell: boolean;
}

/** Whether a call with this norm must run on all rows at once (batch norm: statistics over the batch). */
export function spansBatch(norm: FusedNorm | undefined): boolean {
  return norm !== undefined && norm.kind === 'batch';
}

export function checkNorm(op: string, n: FusedNorm, d: NormDims): void {
  const F_ = d.G * d.H;
  if (n.kind !== 'layer' && n.kind !== 'batch')
    throw new Error(`${op}: norm.kind must be 'layer' or 'batch', got ${String(n.kind)}`);
  if (n.scope !== 'fused' && n.scope !== 'gate')
    throw new Error(`${op}: norm.scope must be 'fused' or 'gate', got ${String(n.scope)}`);
  if (!(n.epsilon > 0)) throw new Error(`${op}: norm.epsilon must be > 0, got ${n.epsilon}`);
  checkArray(op, 'norm.gammaX', n.gammaX, F_);
  checkArray(op, 'norm.gammaH', n.gammaH, F_);
  if (d.cell) {
    checkArray(op, 'norm.gammaC', n.gammaC, d.H);
    checkArray(op, 'norm.betaC', n.betaC, d.H);
  }
  if (n.kind === 'batch' && !n.training) {
    if (!(Number.isInteger(n.maxSteps) && n.maxSteps >= 1))
      throw new Error(`${op}: norm.maxSteps must be a positive integer, got ${n.maxSteps}`);
    const m = n.moving;
    if (m === undefined)
      throw new Error(`${op}: batch norm inference needs norm.moving (the moving statistics)`);
    for (const [name, a] of [
      ['meanX', m.meanX],
      ['varianceX', m.varianceX],
      ['meanH', m.meanH],
      ['varianceH', m.varianceH],
    ] as const)
      checkArray(op, `norm.moving.${name}`, a, n.maxSteps * F_);
    if (d.cell) {
      checkArray(op, 'norm.moving.meanC', m.meanC, n.maxSteps * d.H);
      checkArray(op, 'norm.moving.varianceC', m.varianceC, n.maxSteps * d.H);
    }
  }
}

/** Writes the norm's fields, parameters, statistics and forward tapes into the frame. */
export function putNorm(fr: Frame, n: FusedNorm, d: NormDims): void {
  const { B, T, H, G, cell } = d;
  const HP = pad8(H);
  const NP = G * HP;
  const mem = () => fr.rt.f32();
  fr.set(F.NKIND, NORM_KIND[n.kind]);
  fr.set(F.NSCOPE, NORM_SCOPE[n.scope]);
  fr.set(F.NTRAIN, n.training ? 1 : 0);
  fr.setFloat(F.NEPS, n.epsilon);
  const gated = (field: number, a: Float32Array, rows: number) => {
    const dst = fr.buffer(field, rows * NP, true); // first: allocating may grow (detach) the memory
    putGated(mem(), dst, a, rows, G, H, HP);
  };
  gated(F.GX, n.gammaX, 1);
  gated(F.GH, n.gammaH, 1);
  if (cell) {
    fr.put(F.GC, n.gammaC!, 1, H, HP);
    fr.put(F.BC, n.betaC!, 1, H, HP);
  }
  const batch = n.kind === 'batch';
  if (batch && !n.training) {
    const m = n.moving!;
    fr.set(F.NMAX, n.maxSteps);
    gated(F.SMX, m.meanX, n.maxSteps);
    gated(F.SVX, m.varianceX, n.maxSteps);
    gated(F.SMH, m.meanH, n.maxSteps);
    gated(F.SVH, m.varianceH, n.maxSteps);
    if (cell) {
      fr.put(F.SMC, m.meanC!, n.maxSteps, H, HP);
      fr.put(F.SVC, m.varianceC!, n.maxSteps, H, HP);
    }
  } else if (batch) {
    for (const f of [F.SMX, F.SVX, F.SMH, F.SVH]) fr.buffer(f, Math.max(T, 1) * NP);
    if (cell) for (const f of [F.SMC, F.SVC]) fr.buffer(f, Math.max(T, 1) * HP);
  }
  fr.buffer(F.NX, B * T * NP);
  fr.buffer(F.NH, B * T * NP);
  fr.buffer(F.RX, batch ? T * NP : B * T * G);
  fr.buffer(F.RH, batch ? T * NP : B * T * G);
  if (cell) {
    fr.buffer(F.NC, B * T * HP);
    fr.buffer(F.RC, batch ? T * HP : B * T);
  }
}

/** Batch norm training: this call's statistics per processing step ([T, F]); else undefined. */
export function batchStats(fr: Frame, n: FusedNorm, d: NormDims): FusedNormStats | undefined {
  if (n.kind !== 'batch' || !n.training) return undefined;
  const { T, H, G, cell } = d;
  const HP = pad8(H);
  const NP = G * HP;
  const mem = fr.rt.f32();
  const s: FusedNormStats = {
    meanX: getGated(mem, fr.at(F.SMX), NP, T, G, H, HP),
    varianceX: getGated(mem, fr.at(F.SVX), NP, T, G, H, HP),
    meanH: getGated(mem, fr.at(F.SMH), NP, T, G, H, HP),
    varianceH: getGated(mem, fr.at(F.SVH), NP, T, G, H, HP),
  };
  if (cell) {
    s.meanC = getRows(mem, fr.at(F.SMC), HP, T, H);
    s.varianceC = getRows(mem, fr.at(F.SVC), HP, T, H);
  }
  return s;
}

/** The backward call's buffers of the normalised cell. */
export function putNormBackward(fr: Frame, d: NormDims): void {
  const { B, T, H, G, cell } = d;
  const HP = pad8(H);
  const NP = G * HP;
  fr.buffer(F.DAR, B * T * NP);
  fr.buffer(F.DAPN, B * T * NP);
  fr.buffer(F.DGX, NP);
  fr.buffer(F.DGH, NP);
  if (cell) {
    fr.buffer(F.DNC, B * T * HP);
    fr.buffer(F.NSCR, B * 2 * HP);
    fr.buffer(F.DGC, HP);
    fr.buffer(F.DBC, HP);
  }
}

/** ∂γ (and the LSTM's ∂β_c) read back. */
export function normGrads(fr: Frame, d: NormDims): FusedNormGrads {
  const { H, G, cell } = d;
  const HP = pad8(H);
  const NP = G * HP;
  const mem = fr.rt.f32();
  const g: FusedNormGrads = {
    dGammaX: getGated(mem, fr.at(F.DGX), NP, 1, G, H, HP),
    dGammaH: getGated(mem, fr.at(F.DGH), NP, 1, G, H, HP),
  };
  if (cell) {
    g.dGammaC = getRows(mem, fr.at(F.DGC), HP, 1, H);
    g.dBetaC = getRows(mem, fr.at(F.DBC), HP, 1, H);
  }
  return g;
}
