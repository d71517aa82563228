/**
 * Whole-sequence GRU, forward and backward through time, on rows [r0, r1) of the batch (see
 * src/reference/gru-sequence.ts; gate order z, r, h; σ gate activation, φ activation):
 *   ĥ = h_{k−1} ⊙ m_rec;  [x_z x_r x_h] = [x_k, 1]·[W; b_in]
 *   reset-after:  u = ĥ·U + b_rec;  z = σ(x_z + u_z), r = σ(x_r + u_r), h̃ = φ(x_h + r ⊙ u_h)
 *   reset-before: z = σ(x_z + ĥ·U_z), r = σ(x_r + ĥ·U_r), q = r ⊙ ĥ, h̃ = φ(x_h + q·U_h)
 *   h̃ ← h̃ ⊙ m_cand;  h_new = z ⊙ h_{k−1} + (1 − z) ⊙ h̃;  h_k = pad(zoneout(h_{k−1}, h_new))
 * Backward: dz = dh_new ⊙ (h_{k−1} − h̃), dh_{k−1} += dh_new ⊙ z, dh̃_raw = dh_new ⊙ (1 − z) ⊙ m_cand,
 *   da_h = dh̃_raw ⊙ φ'; reset-after: da_r = da_h ⊙ u_h ⊙ σ'(r), du_h = da_h ⊙ r;
 *   reset-before: dq = da_h·U_hᵀ, da_r = dq ⊙ ĥ ⊙ σ'(r), dĥ += dq ⊙ r; da_z = dz ⊙ σ'(z);
 *   dĥ += [da_z, da_r, du_h]·Uᵀ (reset-after) or [da_z, da_r]·U_zrᵀ (reset-before).
 * Weight gradients after the sequence: dW = [X,1]ᵀ·da_x (input bias in the last row),
 * dU = Ĥᵀ·du (reset-before: the h block is Qᵀ·da_h), db_rec = 1ᵀ·du.
 */
import {
  geti,
  getp,
  F_ACT,
  F_ACTS,
  F_B,
  F_BREC,
  F_DAP,
  F_DAPX,
  F_DBREC,
  F_DHH,
  F_DQ,
  F_DW,
  F_DX,
  F_GACT,
  F_HHAT,
  F_HP,
  F_HS,
  F_NP,
  F_ONE,
  F_PREU,
  F_Q,
  F_RESET_AFTER,
  F_T,
  F_XA,
} from './ctx';
import { gemm } from './gemm';
import { finishState, gruCellBack, gruCellBackReset, gruRecurrentWeightGrads } from './gru-cell';
import { ACT_SIGMOID, ACT_TANH, vact, vsigmoid, vtanh } from './math';
import {
  beginForward,
  candMask,
  endBackward,
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

function cellAfter(ctx: usize, b: i32, k: i32): void {
  const HP = geti(ctx, F_HP);
  const act = geti(ctx, F_ACT),
    gact = geti(ctx, F_GACT);
  const gs = gact == ACT_SIGMOID,
    ts = act == ACT_TANH; // the common case, inlined
  const a = gateRow(ctx, F_ACTS, b, k);
  const pu = gateRow(ctx, F_PREU, b, k);
  const br = getp(ctx, F_BREC);
  const cm = candMask(ctx, b, k);
  const hp = stateRow(ctx, F_HS, b, k);
  const g = (<usize>HP) << 2;
  for (let u = 0; u < HP; u += 4) {
    const o = (<usize>u) << 2;
    const zIn = f32x4.add(v128.load(a + o), f32x4.add(v128.load(pu + o), v128.load(br + o)));
    const z = gs ? vsigmoid(zIn) : vact(gact, zIn);
    const rIn = f32x4.add(v128.load(a + g + o), f32x4.add(v128.load(pu + g + o), v128.load(br + g + o)));
    const r = gs ? vsigmoid(rIn) : vact(gact, rIn);
    const uh = f32x4.add(v128.load(pu + 2 * g + o), v128.load(br + 2 * g + o));
    const hrIn = f32x4.add(v128.load(a + 2 * g + o), f32x4.mul(r, uh));
    const hr = ts ? vtanh(hrIn) : vact(act, hrIn);
    v128.store(a + o, z);
    v128.store(a + g + o, r);
    v128.store(a + 2 * g + o, hr);
    v128.store(pu + 2 * g + o, uh);
    finishState(ctx, b, k, u, z, hr, cm, hp);
  }
}

/** Reset-before, first half: z, r and q = r ⊙ ĥ. */
function cellBefore1(ctx: usize, b: i32, k: i32): void {
  const HP = geti(ctx, F_HP);
  const gact = geti(ctx, F_GACT);
  const gs = gact == ACT_SIGMOID;
  const a = gateRow(ctx, F_ACTS, b, k);
  const hh = unitRow(ctx, F_HHAT, b, k);
  const q = unitRow(ctx, F_Q, b, k);
  const g = (<usize>HP) << 2;
  for (let u = 0; u < HP; u += 4) {
    const o = (<usize>u) << 2;
    const zIn = v128.load(a + o);
    const z = gs ? vsigmoid(zIn) : vact(gact, zIn);
    const rIn = v128.load(a + g + o);
    const r = gs ? vsigmoid(rIn) : vact(gact, rIn);
    v128.store(a + o, z);
    v128.store(a + g + o, r);
    v128.store(q + o, f32x4.mul(r, v128.load(hh + o)));
  }
}

/** Reset-before, second half: the candidate and the new state. */
function cellBefore2(ctx: usize, b: i32, k: i32): void {
  const HP = geti(ctx, F_HP);
  const act = geti(ctx, F_ACT);
  const ts = act == ACT_TANH;
  const a = gateRow(ctx, F_ACTS, b, k);
  const cm = candMask(ctx, b, k);
  const hp = stateRow(ctx, F_HS, b, k);
  const g = (<usize>HP) << 2;
  for (let u = 0; u < HP; u += 4) {
    const o = (<usize>u) << 2;
    const hrIn = v128.load(a + 2 * g + o);
    const hr = ts ? vtanh(hrIn) : vact(act, hrIn);
    v128.store(a + 2 * g + o, hr);
    finishState(ctx, b, k, u, v128.load(a + o), hr, cm, hp);
  }
}

export function gruForward(ctx: usize, r0: i32, r1: i32): void {
  if (r1 <= r0) return;
  const T = geti(ctx, F_T),
    HP = geti(ctx, F_HP),
    NP = geti(ctx, F_NP);
  const acts = getp(ctx, F_ACTS),
    hhat = getp(ctx, F_HHAT);
  const after = geti(ctx, F_RESET_AFTER) != 0;
  beginForward(ctx, r0, r1, false);
  const ldC = (<usize>(T * NP)) << 2;
  for (let k = 0; k < T; k++) {
    const cRow = (r0 * T + k) * NP;
    if (after) {
      timesU(ctx, hhat, r0, r1, k, 0, NP >> 3, ptr4(getp(ctx, F_PREU), cRow), ldC, false);
      for (let b = r0; b < r1; b++) cellAfter(ctx, b, k);
    } else {
      timesU(ctx, hhat, r0, r1, k, 0, (2 * HP) >> 3, ptr4(acts, cRow), ldC, true);
      for (let b = r0; b < r1; b++) cellBefore1(ctx, b, k);
      timesU(ctx, getp(ctx, F_Q), r0, r1, k, (2 * HP) >> 3, (3 * HP) >> 3, ptr4(acts, cRow), ldC, true);
      for (let b = r0; b < r1; b++) cellBefore2(ctx, b, k);
    }
  }
}

export function gruBackward(ctx: usize, r0: i32, r1: i32): void {
  if (r1 <= r0) return;
  const T = geti(ctx, F_T),
    HP = geti(ctx, F_HP);
  const acts = getp(ctx, F_ACTS);
  const after = geti(ctx, F_RESET_AFTER) != 0;
  initCarry(ctx, r0, r1, false);
  for (let k = T - 1; k >= 0; k--) {
    for (let b = r0; b < r1; b++) gruCellBack(ctx, b, k, after, F_ACTS, true);
    if (after) {
      recurrentGradient(ctx, getp(ctx, F_PREU), r0, r1, k);
    } else {
      // dq = da_h·U_hᵀ (K rows 2HP.. of the packed Uᵀ), then da_r, then dĥ = [da_z, da_r]·U_zrᵀ
      timesUT(ctx, acts, r0, r1, k, 2 * HP, HP, getp(ctx, F_DQ));
      for (let b = r0; b < r1; b++) gruCellBackReset(ctx, b, k, F_ACTS, true);
      timesUT(ctx, acts, r0, r1, k, 0, 2 * HP, getp(ctx, F_DHH));
    }
  }
  endBackward(ctx, r0, r1);
}

/** Weight gradients, share `part` of `parts` of the panels of each product. */
export function gruWeightGrads(ctx: usize, part: i32, parts: i32): void {
  const BT = geti(ctx, F_B) * geti(ctx, F_T),
    HP = geti(ctx, F_HP),
    NP = geti(ctx, F_NP),
    DX = geti(ctx, F_DX);
  const dap = getp(ctx, F_DAP),
    xa = getp(ctx, F_XA);
  const dw = getp(ctx, F_DW);
  const ld = (<usize>NP) << 2;
  const P = NP >> 3,
    PH = HP >> 3;
  const xs = (<usize>DX) << 2,
    hs = (<usize>HP) << 2;
  const after = geti(ctx, F_RESET_AFTER) != 0;
  gruRecurrentWeightGrads(ctx, part, parts, after);
  if (!after) {
    gemm(
      DX,
      BT,
      xa,
      4,
      xs,
      dap,
      BT,
      panelShare(P, part, parts),
      panelShare(P, part + 1, parts),
      dw,
      ld,
      false,
    );
    return;
  }
  // dW: z, r panels from the U-side da (equal there), the h block from the x-side panels
  const z0 = panelShare(2 * PH, part, parts),
    z1 = panelShare(2 * PH, part + 1, parts);
  gemm(DX, BT, xa, 4, xs, dap, BT, z0, z1, dw, ld, false);
  const h0 = panelShare(PH, part, parts),
    h1 = panelShare(PH, part + 1, parts);
  gemm(DX, BT, xa, 4, xs, getp(ctx, F_DAPX), BT, h0, h1, dw + 2 * hs, ld, false);
  // db_rec = 1ᵀ·du: an A operand of stride 0 on the context's 1.0
  const one = ctx + ((<usize>F_ONE) << 2);
  const p0 = panelShare(P, part, parts),
    p1 = panelShare(P, part + 1, parts);
  gemm(1, BT, one, 0, 0, dap, BT, p0, p1, getp(ctx, F_DBREC), ld, false);
}
