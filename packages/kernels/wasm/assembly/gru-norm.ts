/**
 * The normalised GRU (layer norm or recurrent batch norm inside the cell; NORM_KIND of
 * src/fused/abi.ts, the design of native/src/gru_norm.cc), reset-after and reset-before, forward
 * and backward through time, on rows [r0, r1) of the batch (batch norm: all rows at once, its
 * statistics span the batch). The plain GRU (./gru.ts) never comes here; what both share is in
 * ./gru-cell.ts, and what both normalised cells share in ./norm-seq.ts.
 *
 * Step k (gate order z, r, h; ĥ = h ⊙ m_rec; a = N_x(x_k·W) + b_in, every step before the loop):
 *   reset-after:  u = N_h(ĥ·U) + b_rec;  z, r = σ(a + u);  h̃ = φ(a_h + r ⊙ u_h)
 *   reset-before: [u_z u_r] = N_h([ĥ·U_z ĥ·U_r]) (layer 'fused': one group of 2H);  z, r = σ(a + u);
 *                 q = r ⊙ ĥ;  u_h = N_h(q·U_h) (a group of H);  h̃ = φ(a_h + u_h)
 *   h_k = pad(zoneout(h_{k−1}, z ⊙ h_{k−1} + (1 − z) ⊙ h̃ ⊙ m_cand))   (./gru-cell.ts's finishState)
 * Backward: ∂a = [∂a_z ∂a_r ∂a_h] → DAR (x side); the gradient at N_h's output → PREU (reset-after:
 *   [∂a_z ∂a_r ∂a_h ⊙ r]; reset-before: DAR itself); ∂(ĥ·U) = N_h⁻¹'(·) → ACTS and the dU panels,
 *   dĥ = ∂(ĥ·U)·Uᵀ (reset-before: dq = ∂(q·U_h)·U_hᵀ first, then ∂a_r = dq ⊙ ĥ ⊙ σ'(r));
 *   after the loop ∂(x·W) = N_x⁻¹'(∂a) → dx, dW; ∂γ, ∂b by column sums (gruNormGrads).
 */
import {
  geti,
  getp,
  F_ACT,
  F_ACTS,
  F_B,
  F_BREC,
  F_DAP,
  F_DAPN,
  F_DAR,
  F_DBREC,
  F_DGH,
  F_DGX,
  F_DHH,
  F_DQ,
  F_DW,
  F_DX,
  F_GACT,
  F_GH,
  F_HHAT,
  F_HP,
  F_HS,
  F_NH,
  F_NP,
  F_NX,
  F_PREU,
  F_Q,
  F_RESET_AFTER,
  F_SCR,
  F_T,
  F_XA,
} from './ctx';
import { gemm } from './gemm';
import { finishState, gruCellBack, gruCellBackReset, gruRecurrentWeightGrads } from './gru-cell';
import { vact } from './math';
import { columnSums, scaleShift } from './norm';
import {
  QH,
  beginNormForward,
  endNormBackward,
  normStep,
  normStepBack,
  normStepBackAll,
  packRows,
} from './norm-seq';
import {
  candMask,
  gateRow,
  initCarry,
  panelShare,
  ptr4,
  recurrentGradient,
  stateRow,
  timesU,
  timesUT,
  unitRow,
} from './seq';

const G: i32 = 3;

/** SCR rows [r0, r1), blocks [first, first + count) ← γ_h ⊙ x̂_h (+ b_rec when `bias`). */
function scaleH(ctx: usize, r0: i32, r1: i32, k: i32, first: i32, count: i32, bias: bool): void {
  const T = geti(ctx, F_T),
    HP = geti(ctx, F_HP),
    NP = geti(ctx, F_NP);
  const c0 = first * HP;
  const nh = getp(ctx, F_NH),
    scr = getp(ctx, F_SCR);
  const gh = ptr4(getp(ctx, F_GH), c0);
  const br: usize = bias ? ptr4(getp(ctx, F_BREC), c0) : 0;
  for (let b = r0; b < r1; b++)
    scaleShift(ptr4(scr, b * NP + c0), ptr4(nh, (b * T + k) * NP + c0), gh, br, count * HP);
}

/** Reset-after step k of row b: z, r, h̃ (into ACTS), u_h (into PREU's h block), the new state. */
function cellAfter(ctx: usize, b: i32, k: i32): void {
  const HP = geti(ctx, F_HP);
  const act = geti(ctx, F_ACT),
    gact = geti(ctx, F_GACT);
  const a = gateRow(ctx, F_ACTS, b, k);
  const s = ptr4(getp(ctx, F_SCR), b * geti(ctx, F_NP));
  const pu = gateRow(ctx, F_PREU, b, k);
  const cm = candMask(ctx, b, k);
  const hp = stateRow(ctx, F_HS, b, k);
  const g = (<usize>HP) << 2;
  for (let u = 0; u < HP; u += 4) {
    const o = (<usize>u) << 2;
    const z = vact(gact, f32x4.add(v128.load(a + o), v128.load(s + o)));
    const r = vact(gact, f32x4.add(v128.load(a + g + o), v128.load(s + g + o)));
    const uh = v128.load(s + 2 * g + o);
    const hr = vact(act, f32x4.add(v128.load(a + 2 * g + o), f32x4.mul(r, uh)));
    v128.store(a + o, z);
    v128.store(a + g + o, r);
    v128.store(a + 2 * g + o, hr);
    v128.store(pu + 2 * g + o, uh);
    finishState(ctx, b, k, u, z, hr, cm, hp);
  }
}

/** Reset-before step k of row b, first half: z, r (into ACTS) and q = r ⊙ ĥ. */
function cellBefore1(ctx: usize, b: i32, k: i32): void {
  const HP = geti(ctx, F_HP);
  const gact = geti(ctx, F_GACT);
  const a = gateRow(ctx, F_ACTS, b, k);
  const s = ptr4(getp(ctx, F_SCR), b * geti(ctx, F_NP));
  const hh = unitRow(ctx, F_HHAT, b, k);
  const q = unitRow(ctx, F_Q, b, k);
  const g = (<usize>HP) << 2;
  for (let u = 0; u < HP; u += 4) {
    const o = (<usize>u) << 2;
    const z = vact(gact, f32x4.add(v128.load(a + o), v128.load(s + o)));
    const r = vact(gact, f32x4.add(v128.load(a + g + o), v128.load(s + g + o)));
    v128.store(a + o, z);
    v128.store(a + g + o, r);
    v128.store(q + o, f32x4.mul(r, v128.load(hh + o)));
  }
}

/** Reset-before, second half: h̃ = φ(a_h + u_h) and the new state. */
function cellBefore2(ctx: usize, b: i32, k: i32): void {
  const HP = geti(ctx, F_HP);
  const act = geti(ctx, F_ACT);
  const a = gateRow(ctx, F_ACTS, b, k);
  const s = ptr4(getp(ctx, F_SCR), b * geti(ctx, F_NP));
  const cm = candMask(ctx, b, k);
  const hp = stateRow(ctx, F_HS, b, k);
  const g = (<usize>HP) << 2;
  for (let u = 0; u < HP; u += 4) {
    const o = (<usize>u) << 2;
    const hr = vact(act, f32x4.add(v128.load(a + 2 * g + o), v128.load(s + 2 * g + o)));
    v128.store(a + 2 * g + o, hr);
    finishState(ctx, b, k, u, v128.load(a + o), hr, cm, hp);
  }
}

export function gruNormForward(ctx: usize, r0: i32, r1: i32): void {
  if (r1 <= r0) return;
  const T = geti(ctx, F_T),
    HP = geti(ctx, F_HP),
    NP = geti(ctx, F_NP);
  const hhat = getp(ctx, F_HHAT),
    scr = getp(ctx, F_SCR);
  const after = geti(ctx, F_RESET_AFTER) != 0;
  beginNormForward(ctx, r0, r1, false);
  const ldS = (<usize>NP) << 2;
  const sRow = ptr4(scr, r0 * NP);
  for (let k = 0; k < T; k++) {
    if (after) {
      timesU(ctx, hhat, r0, r1, k, 0, NP >> 3, sRow, ldS, false);
      normStep(ctx, QH, scr, ldS, r0, r1, k, 0, G, G);
      scaleH(ctx, r0, r1, k, 0, G, true);
      for (let b = r0; b < r1; b++) cellAfter(ctx, b, k);
    } else {
      timesU(ctx, hhat, r0, r1, k, 0, (2 * HP) >> 3, sRow, ldS, false);
      normStep(ctx, QH, scr, ldS, r0, r1, k, 0, 2, 2);
      scaleH(ctx, r0, r1, k, 0, 2, false);
      for (let b = r0; b < r1; b++) cellBefore1(ctx, b, k);
      timesU(ctx, getp(ctx, F_Q), r0, r1, k, (2 * HP) >> 3, (3 * HP) >> 3, sRow, ldS, false);
      normStep(ctx, QH, scr, ldS, r0, r1, k, 2, 1, 1);
      scaleH(ctx, r0, r1, k, 2, 1, false);
      for (let b = r0; b < r1; b++) cellBefore2(ctx, b, k);
    }
  }
}

export function gruNormBackward(ctx: usize, r0: i32, r1: i32): void {
  if (r1 <= r0) return;
  const T = geti(ctx, F_T),
    HP = geti(ctx, F_HP),
    NP = geti(ctx, F_NP);
  const acts = getp(ctx, F_ACTS),
    dar = getp(ctx, F_DAR);
  const after = geti(ctx, F_RESET_AFTER) != 0;
  const rowNP = (<usize>(T * NP)) << 2;
  initCarry(ctx, r0, r1, false);
  for (let k = T - 1; k >= 0; k--) {
    for (let b = r0; b < r1; b++) gruCellBack(ctx, b, k, after, F_DAR, false);
    const actsK = ptr4(acts, k * NP);
    if (after) {
      // ∂(ĥ·U) = N_h⁻¹'([∂a_z ∂a_r ∂u_h]) → ACTS, dĥ = ∂(ĥ·U)·Uᵀ
      normStepBackAll(ctx, QH, ptr4(getp(ctx, F_PREU), k * NP), rowNP, actsK, rowNP, r0, r1, k);
      recurrentGradient(ctx, acts, r0, r1, k);
    } else {
      // ∂(q·U_h) = N_h⁻¹'(∂a_h), dq = ∂(q·U_h)·U_hᵀ, ∂a_r, then ∂([ĥU_z ĥU_r]) and dĥ
      normStepBack(ctx, QH, ptr4(dar, k * NP), rowNP, actsK, rowNP, r0, r1, k, 2, 1, 1);
      timesUT(ctx, acts, r0, r1, k, 2 * HP, HP, getp(ctx, F_DQ));
      for (let b = r0; b < r1; b++) gruCellBackReset(ctx, b, k, F_DAR, false);
      normStepBack(ctx, QH, ptr4(dar, k * NP), rowNP, actsK, rowNP, r0, r1, k, 0, 2, 2);
      timesUT(ctx, acts, r0, r1, k, 0, 2 * HP, getp(ctx, F_DHH));
    }
    packRows(ctx, acts, getp(ctx, F_DAP), r0, r1, k);
  }
  endNormBackward(ctx, r0, r1);
}

/**
 * dW = [X,1]ᵀ·∂(x·W), dU = Ĥᵀ·∂(ĥ·U) (reset-before: the h block Qᵀ·∂(q·U_h)), share `part` of
 * `parts` of the panels (any split gives the same bits).
 */
export function gruNormWeightGrads(ctx: usize, part: i32, parts: i32): void {
  const BT = geti(ctx, F_B) * geti(ctx, F_T),
    NP = geti(ctx, F_NP),
    DX = geti(ctx, F_DX);
  const P = NP >> 3;
  const p0 = panelShare(P, part, parts),
    p1 = panelShare(P, part + 1, parts);
  const xs = (<usize>DX) << 2;
  gemm(
    DX,
    BT,
    getp(ctx, F_XA),
    4,
    xs,
    getp(ctx, F_DAPN),
    BT,
    p0,
    p1,
    getp(ctx, F_DW),
    (<usize>NP) << 2,
    false,
  );
  gruRecurrentWeightGrads(ctx, part, parts, geti(ctx, F_RESET_AFTER) != 0);
}

/**
 * After gruNormWeightGrads (its own call: the column split differs from the panel split): the
 * column sums ∂γ_x = Σ ∂a ⊙ x̂_x, db_in = Σ ∂a (over dW's bias row), ∂γ_h = Σ ∂N_h ⊙ x̂_h,
 * reset-after db_rec = Σ ∂N_h; share `part` of `parts` of the columns.
 */
export function gruNormGrads(ctx: usize, part: i32, parts: i32): void {
  const BT = geti(ctx, F_B) * geti(ctx, F_T),
    NP = geti(ctx, F_NP),
    DX = geti(ctx, F_DX);
  const dw = getp(ctx, F_DW);
  const after = geti(ctx, F_RESET_AFTER) != 0;
  const n4 = NP >> 2;
  const c0 = ((n4 * part) / parts) << 2,
    c1 = ((n4 * (part + 1)) / parts) << 2;
  const dar = getp(ctx, F_DAR);
  columnSums(dar, getp(ctx, F_NX), BT, NP, c0, c1, getp(ctx, F_DGX), ptr4(dw, (DX - 1) * NP));
  const dy = after ? getp(ctx, F_PREU) : dar;
  columnSums(dy, getp(ctx, F_NH), BT, NP, c0, c1, getp(ctx, F_DGH), after ? getp(ctx, F_DBREC) : 0);
}
