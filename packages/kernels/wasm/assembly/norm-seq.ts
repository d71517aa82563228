/**
 * Pieces the normalised LSTM (./lstm-norm.ts) and GRU (./gru-norm.ts) share: one step's layer
 * norm or batch norm of a normalised quantity and its backward (./norm.ts has the arithmetic),
 * N_x of the input projection for every step before the recurrence and its backward after it,
 * and the packing of ∂ rows into the weight-gradient panels.
 *
 * The quantities, by number (no objects: the kernels allocate nothing, and the memory past
 * __heap_base belongs to the loader): x·W (QX) and the recurrent product ĥ·U (QH), G blocks of
 * HP each (width NP = G·HP), and the LSTM's c̃ (QC), one block. Each has an x̂ tape [B][T][width],
 * an rstd tape (layer: [B][T][blocks]; batch: [T][width]), γ, and the batch statistics.
 */
import {
  getf,
  geti,
  getp,
  F_ACTS,
  F_B,
  F_DAPN,
  F_DAR,
  F_GC,
  F_GH,
  F_GX,
  F_H,
  F_HP,
  F_NBIAS,
  F_NC,
  F_NEPS,
  F_NH,
  F_NKIND,
  F_NMAX,
  F_NP,
  F_NSCOPE,
  F_NTRAIN,
  F_NX,
  F_RC,
  F_RH,
  F_RX,
  F_SMC,
  F_SMH,
  F_SMX,
  F_SVC,
  F_SVH,
  F_SVX,
  F_T,
  NORM_LAYER,
  NORM_SCOPE_GATE,
} from './ctx';
import { bnBackward, bnForward, lnBackward, lnForward, scaleShift } from './norm';
import { finishDh, initStates, inputGradient, inputProjection, ptr4, storePacked } from './seq';

export const QX: i32 = 0,
  QH: i32 = 1,
  QC: i32 = 2;

function fXh(q: i32): i32 {
  return q == QX ? F_NX : q == QH ? F_NH : F_NC;
}
function fRs(q: i32): i32 {
  return q == QX ? F_RX : q == QH ? F_RH : F_RC;
}
function fGamma(q: i32): i32 {
  return q == QX ? F_GX : q == QH ? F_GH : F_GC;
}
function fMean(q: i32): i32 {
  return q == QX ? F_SMX : q == QH ? F_SMH : F_SMC;
}
function fVar(q: i32): i32 {
  return q == QX ? F_SVX : q == QH ? F_SVH : F_SVC;
}
/** The floats of one row of quantity q: NP, or HP for c̃. */
function widthOf(ctx: usize, q: i32): i32 {
  return q == QC ? geti(ctx, F_HP) : geti(ctx, F_NP);
}
/** Its blocks of HP: G, or 1 for c̃. */
export function blocksOf(ctx: usize, q: i32): i32 {
  return q == QC ? 1 : geti(ctx, F_NP) / geti(ctx, F_HP);
}

/**
 * Normalises blocks [first, first + count) of quantity q at processing step k for rows [r0, r1):
 * values at v + b·vStride (bytes) → x̂ into q's tape row (b·T + k), rstd into its tape; layer norm
 * in groups of `group` blocks (scope 'gate': 1); batch norm per feature over the rows (training:
 * this step's statistics, stored; inference: the moving row min(k, NMAX − 1)).
 */
export function normStep(
  ctx: usize,
  q: i32,
  v: usize,
  vStride: usize,
  r0: i32,
  r1: i32,
  k: i32,
  first: i32,
  count: i32,
  group: i32,
): void {
  const T = geti(ctx, F_T),
    HP = geti(ctx, F_HP),
    H = geti(ctx, F_H);
  const W = widthOf(ctx, q);
  const eps = getf(ctx, F_NEPS);
  const xh = getp(ctx, fXh(q)),
    rs = getp(ctx, fRs(q));
  if (geti(ctx, F_NKIND) == NORM_LAYER) {
    const gr = geti(ctx, F_NSCOPE) == NORM_SCOPE_GATE ? 1 : group;
    const blocks = blocksOf(ctx, q);
    for (let b = r0; b < r1; b++) {
      const row = b * T + k;
      lnForward(
        v + <usize>b * vStride,
        ptr4(xh, row * W),
        ptr4(rs, row * blocks),
        first,
        first + count,
        gr,
        H,
        HP,
        eps,
      );
    }
    return;
  }
  const training = geti(ctx, F_NTRAIN) != 0;
  const srow = training ? k : min(k, geti(ctx, F_NMAX) - 1);
  const c0 = first * HP;
  bnForward(
    v + <usize>r0 * vStride + ((<usize>c0) << 2),
    vStride,
    ptr4(xh, (r0 * T + k) * W + c0),
    (<usize>(T * W)) << 2,
    r1 - r0,
    count * HP,
    ptr4(getp(ctx, fMean(q)), srow * W + c0),
    ptr4(getp(ctx, fVar(q)), srow * W + c0),
    ptr4(rs, k * W + c0),
    training,
    eps,
  );
}

/** normStep of every block of q, layer norm in groups of all of them (scope 'gate': 1). */
export function normStepAll(ctx: usize, q: i32, v: usize, vStride: usize, r0: i32, r1: i32, k: i32): void {
  const blocks = blocksOf(ctx, q);
  normStep(ctx, q, v, vStride, r0, r1, k, 0, blocks, blocks);
}

/**
 * The backward of normStep: the gradient at N(v), rows at dy + b·dyStride → the gradient at v,
 * rows at dv + b·dvStride (may alias dy), the same blocks.
 */
export function normStepBack(
  ctx: usize,
  q: i32,
  dy: usize,
  dyStride: usize,
  dv: usize,
  dvStride: usize,
  r0: i32,
  r1: i32,
  k: i32,
  first: i32,
  count: i32,
  group: i32,
): void {
  const T = geti(ctx, F_T),
    HP = geti(ctx, F_HP),
    H = geti(ctx, F_H);
  const W = widthOf(ctx, q);
  const xh = getp(ctx, fXh(q)),
    rs = getp(ctx, fRs(q)),
    gamma = getp(ctx, fGamma(q));
  if (geti(ctx, F_NKIND) == NORM_LAYER) {
    const gr = geti(ctx, F_NSCOPE) == NORM_SCOPE_GATE ? 1 : group;
    const blocks = blocksOf(ctx, q);
    for (let b = r0; b < r1; b++) {
      const row = b * T + k;
      lnBackward(
        dy + <usize>b * dyStride,
        gamma,
        ptr4(xh, row * W),
        ptr4(rs, row * blocks),
        dv + <usize>b * dvStride,
        first,
        first + count,
        gr,
        H,
        HP,
      );
    }
    return;
  }
  const c0 = first * HP;
  const o = (<usize>c0) << 2;
  bnBackward(
    dy + <usize>r0 * dyStride + o,
    dyStride,
    gamma + o,
    ptr4(xh, (r0 * T + k) * W + c0),
    (<usize>(T * W)) << 2,
    ptr4(rs, k * W + c0),
    dv + <usize>r0 * dvStride + o,
    dvStride,
    r1 - r0,
    count * HP,
    geti(ctx, F_NTRAIN) != 0,
  );
}

/** normStepBack of every block of q (the groups of normStepAll). */
export function normStepBackAll(
  ctx: usize,
  q: i32,
  dy: usize,
  dyStride: usize,
  dv: usize,
  dvStride: usize,
  r0: i32,
  r1: i32,
  k: i32,
): void {
  const blocks = blocksOf(ctx, q);
  normStepBack(ctx, q, dy, dyStride, dv, dvStride, r0, r1, k, 0, blocks, blocks);
}

/** Packs rows (b, k), b in [r0, r1), of ∂ values [B][T][NP] at v into the panels of dap. */
export function packRows(ctx: usize, v: usize, dap: usize, r0: i32, r1: i32, k: i32): void {
  const B = geti(ctx, F_B),
    T = geti(ctx, F_T),
    NP = geti(ctx, F_NP);
  for (let b = r0; b < r1; b++) {
    const row = b * T + k;
    const p = ptr4(v, row * NP);
    for (let c = 0; c < NP; c += 4) storePacked(dap, B * T, row, c, v128.load(p + ((<usize>c) << 2)));
  }
}

/**
 * After the input GEMM, ACTS rows (b, k) of rows [r0, r1) ← N_x(x·W) + b for every step (layer
 * norm: row by row; batch norm: step by step over the rows).
 */
export function normalizeInputs(ctx: usize, r0: i32, r1: i32): void {
  const T = geti(ctx, F_T),
    NP = geti(ctx, F_NP);
  const acts = getp(ctx, F_ACTS);
  const rowB = (<usize>(T * NP)) << 2; // bytes from (b, k) to (b + 1, k) in [B][T][NP]
  const nx = getp(ctx, F_NX),
    gx = getp(ctx, F_GX),
    nb = getp(ctx, F_NBIAS);
  for (let k = 0; k < T; k++) {
    normStepAll(ctx, QX, ptr4(acts, k * NP), rowB, r0, r1, k);
    for (let b = r0; b < r1; b++) {
      const row = b * T + k;
      scaleShift(ptr4(acts, row * NP), ptr4(nx, row * NP), gx, nb, NP);
    }
  }
}

/**
 * After the recurrence: ∂(x·W) = N_x⁻¹'(∂a), ∂a in DAR, → ACTS (dx's input) and the dW panels
 * (DAPN), rows [r0, r1), every step.
 */
export function normInputGradients(ctx: usize, r0: i32, r1: i32): void {
  const T = geti(ctx, F_T),
    NP = geti(ctx, F_NP);
  const acts = getp(ctx, F_ACTS),
    dar = getp(ctx, F_DAR);
  const rowNP = (<usize>(T * NP)) << 2;
  for (let k = 0; k < T; k++) {
    normStepBackAll(ctx, QX, ptr4(dar, k * NP), rowNP, ptr4(acts, k * NP), rowNP, r0, r1, k);
    packRows(ctx, acts, getp(ctx, F_DAPN), r0, r1, k);
  }
}

/**
 * Before the recurrence over rows [r0, r1): the input GEMM, a ← N_x(x·W) + b for every step, the
 * initial states (c too `withCell`).
 */
export function beginNormForward(ctx: usize, r0: i32, r1: i32, withCell: bool): void {
  inputProjection(ctx, r0, r1);
  normalizeInputs(ctx, r0, r1);
  initStates(ctx, r0, r1, withCell);
}

/** After the backward loop over rows [r0, r1): dh0, ∂(x·W) through N_x (and its dW panels), dx. */
export function endNormBackward(ctx: usize, r0: i32, r1: i32): void {
  finishDh(ctx, r0, r1);
  normInputGradients(ctx, r0, r1);
  inputGradient(ctx, r0, r1);
}
