/**
 * The normalised GRU (layer norm or recurrent batch norm inside the cell; NORM_KIND of
 * src/fused/abi.ts, the design of native/src/gru_norm.cc), reset-after and reset-before, forward
 * and backward through time, on rows [r0, r1) of the batch (batch norm: all rows at once, its
 * statistics span the batch). The plain GRU (./gru.ts) is untouched.
 *
 * Step k (gate order z, r, h; ĥ = h ⊙ m_rec; a = N_x(x_k·W) + b_in, every step before the loop):
 *   reset-after:  u = N_h(ĥ·U) + b_rec;  z, r = σ(a + u);  h̃ = φ(a_h + r ⊙ u_h)
 *   reset-before: [u_z u_r] = N_h([ĥ·U_z ĥ·U_r]) (layer 'fused': one group of 2H);  z, r = σ(a + u);
 *                 q = r ⊙ ĥ;  u_h = N_h(q·U_h) (a group of H);  h̃ = φ(a_h + u_h)
 *   h_k = pad(zoneout(h_{k−1}, z ⊙ h_{k−1} + (1 − z) ⊙ h̃ ⊙ m_cand))   (./gru.ts's finishState)
 * Backward: ∂a = [∂a_z ∂a_r ∂a_h] → DAR (x side); the gradient at N_h's output → PREU (reset-after:
 *   [∂a_z ∂a_r ∂a_h ⊙ r]; reset-before: DAR itself); ∂(ĥ·U) = N_h⁻¹'(·) → ACTS and the dU panels,
 *   dĥ = ∂(ĥ·U)·Uᵀ (reset-before: dq = ∂(q·U_h)·U_hᵀ first, then ∂a_r = dq ⊙ ĥ ⊙ σ'(r));
 *   after the loop ∂(x·W) = N_x⁻¹'(∂a) → dx, dW; ∂γ, ∂b by column sums (gruNormGrads).
 */
import {
  getf,
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
  F_DHC,
  F_DHH,
  F_DP,
  F_DQ,
  F_DSEQ,
  F_DU,
  F_DW,
  F_DX,
  F_DXO,
  F_GACT,
  F_GH,
  F_GNH,
  F_GX,
  F_H,
  F_HHAT,
  F_HP,
  F_HS,
  F_NBIAS,
  F_NEPS,
  F_NH,
  F_NKIND,
  F_NMAX,
  F_NP,
  F_NSCOPE,
  F_NTRAIN,
  F_NX,
  F_PREU,
  F_Q,
  F_RESET_AFTER,
  F_RH,
  F_RX,
  F_SCR,
  F_SMASK,
  F_SMH,
  F_SMX,
  F_SVH,
  F_SVX,
  F_T,
  F_UP,
  F_UTP,
  F_WP,
  F_WTP,
  F_XA,
  F_ZH,
  NORM_LAYER,
  NORM_SCOPE_GATE,
} from './ctx';
import { gemm } from './gemm';
import { candMask, finishState } from './gru';
import { vact, vdact } from './math';
import { bnBackward, bnForward, columnSums, lnBackward, lnForward, scaleShift } from './norm';
import { finishDh, initCarry, initStates, ptr4, recMaskRow, storeNorms, storePacked } from './seq';
import { hasZoneout, zoneoutKeep } from './zoneout';

const G: i32 = 3;

/** The normalised quantities: x·W (QX) and the recurrent products (QH), 3 blocks each. */
const QX: i32 = 0,
  QH: i32 = 1;

/**
 * Normalises blocks [first, first + count) of quantity q at step k for rows [r0, r1): values at
 * v + b·vStride → x̂ into q's tape (row b·T + k, width NP), rstd into its tape; layer norm in groups
 * of `group` blocks (scope 'gate': 1).
 */
function normStep(
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
    H = geti(ctx, F_H),
    NP = geti(ctx, F_NP);
  const eps = getf(ctx, F_NEPS);
  const xh = getp(ctx, q == QX ? F_NX : F_NH),
    rs = getp(ctx, q == QX ? F_RX : F_RH);
  if (geti(ctx, F_NKIND) == NORM_LAYER) {
    const gr = geti(ctx, F_NSCOPE) == NORM_SCOPE_GATE ? 1 : group;
    for (let b = r0; b < r1; b++) {
      const row = b * T + k;
      lnForward(
        v + <usize>b * vStride,
        ptr4(xh, row * NP),
        ptr4(rs, row * G),
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
    ptr4(xh, (r0 * T + k) * NP + c0),
    (<usize>(T * NP)) << 2,
    r1 - r0,
    count * HP,
    ptr4(getp(ctx, q == QX ? F_SMX : F_SMH), srow * NP + c0),
    ptr4(getp(ctx, q == QX ? F_SVX : F_SVH), srow * NP + c0),
    ptr4(rs, k * NP + c0),
    training,
    eps,
  );
}

/** The backward of normStep: dy rows (dyStride apart) → dv rows (dvStride), the same blocks. */
function normStepBack(
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
    H = geti(ctx, F_H),
    NP = geti(ctx, F_NP);
  const xh = getp(ctx, q == QX ? F_NX : F_NH),
    rs = getp(ctx, q == QX ? F_RX : F_RH),
    gamma = getp(ctx, q == QX ? F_GX : F_GH);
  if (geti(ctx, F_NKIND) == NORM_LAYER) {
    const gr = geti(ctx, F_NSCOPE) == NORM_SCOPE_GATE ? 1 : group;
    for (let b = r0; b < r1; b++) {
      const row = b * T + k;
      lnBackward(
        dy + <usize>b * dyStride,
        gamma,
        ptr4(xh, row * NP),
        ptr4(rs, row * G),
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
    ptr4(xh, (r0 * T + k) * NP + c0),
    (<usize>(T * NP)) << 2,
    ptr4(rs, k * NP + c0),
    dv + <usize>r0 * dvStride + o,
    dvStride,
    r1 - r0,
    count * HP,
    geti(ctx, F_NTRAIN) != 0,
  );
}

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
  const T = geti(ctx, F_T),
    HP = geti(ctx, F_HP),
    NP = geti(ctx, F_NP);
  const act = geti(ctx, F_ACT),
    gact = geti(ctx, F_GACT);
  const a = ptr4(getp(ctx, F_ACTS), (b * T + k) * NP);
  const s = ptr4(getp(ctx, F_SCR), b * NP);
  const pu = ptr4(getp(ctx, F_PREU), (b * T + k) * NP);
  const cm = candMask(ctx, b, k);
  const hp = ptr4(getp(ctx, F_HS), (b * (T + 1) + k) * HP);
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
    const hh = cm != 0 ? f32x4.mul(hr, v128.load(cm + o)) : hr;
    finishState(ctx, b, k, u, z, hh, v128.load(hp + o));
  }
}

/** Reset-before step k of row b, first half: z, r (into ACTS) and q = r ⊙ ĥ. */
function cellBefore1(ctx: usize, b: i32, k: i32): void {
  const T = geti(ctx, F_T),
    HP = geti(ctx, F_HP),
    NP = geti(ctx, F_NP);
  const gact = geti(ctx, F_GACT);
  const a = ptr4(getp(ctx, F_ACTS), (b * T + k) * NP);
  const s = ptr4(getp(ctx, F_SCR), b * NP);
  const hh = ptr4(getp(ctx, F_HHAT), (b * T + k) * HP);
  const q = ptr4(getp(ctx, F_Q), (b * T + k) * HP);
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
  const T = geti(ctx, F_T),
    HP = geti(ctx, F_HP),
    NP = geti(ctx, F_NP);
  const act = geti(ctx, F_ACT);
  const a = ptr4(getp(ctx, F_ACTS), (b * T + k) * NP);
  const s = ptr4(getp(ctx, F_SCR), b * NP);
  const cm = candMask(ctx, b, k);
  const hp = ptr4(getp(ctx, F_HS), (b * (T + 1) + k) * HP);
  const g = (<usize>HP) << 2;
  for (let u = 0; u < HP; u += 4) {
    const o = (<usize>u) << 2;
    const hr = vact(act, f32x4.add(v128.load(a + 2 * g + o), v128.load(s + 2 * g + o)));
    v128.store(a + 2 * g + o, hr);
    const hh = cm != 0 ? f32x4.mul(hr, v128.load(cm + o)) : hr;
    finishState(ctx, b, k, u, v128.load(a + o), hh, v128.load(hp + o));
  }
}

export function gruNormForward(ctx: usize, r0: i32, r1: i32): void {
  if (r1 <= r0) return;
  const T = geti(ctx, F_T),
    HP = geti(ctx, F_HP),
    NP = geti(ctx, F_NP),
    DX = geti(ctx, F_DX);
  const rows = r1 - r0;
  const acts = getp(ctx, F_ACTS),
    up = getp(ctx, F_UP),
    hhat = getp(ctx, F_HHAT),
    scr = getp(ctx, F_SCR);
  const after = geti(ctx, F_RESET_AFTER) != 0;
  gemm(
    rows * T,
    DX,
    ptr4(getp(ctx, F_XA), r0 * T * DX),
    (<usize>DX) << 2,
    4,
    getp(ctx, F_WP),
    DX,
    0,
    NP >> 3,
    ptr4(acts, r0 * T * NP),
    (<usize>NP) << 2,
    false,
  );
  // a ← N_x(x·W) + b_in for every step
  const rowB = (<usize>(T * NP)) << 2;
  const nx = getp(ctx, F_NX),
    gx = getp(ctx, F_GX),
    nb = getp(ctx, F_NBIAS);
  for (let k = 0; k < T; k++) {
    normStep(ctx, QX, ptr4(acts, k * NP), rowB, r0, r1, k, 0, G, G);
    for (let b = r0; b < r1; b++) {
      const row = b * T + k;
      scaleShift(ptr4(acts, row * NP), ptr4(nx, row * NP), gx, nb, NP);
    }
  }
  initStates(ctx, r0, r1, false);
  const ldA = (<usize>(T * HP)) << 2,
    ldS = (<usize>NP) << 2;
  for (let k = 0; k < T; k++) {
    const aRow = ptr4(hhat, (r0 * T + k) * HP);
    const sRow = ptr4(scr, r0 * NP);
    if (after) {
      gemm(rows, HP, aRow, ldA, 4, up, HP, 0, NP >> 3, sRow, ldS, false);
      normStep(ctx, QH, scr, ldS, r0, r1, k, 0, G, G);
      scaleH(ctx, r0, r1, k, 0, G, true);
      for (let b = r0; b < r1; b++) cellAfter(ctx, b, k);
    } else {
      gemm(rows, HP, aRow, ldA, 4, up, HP, 0, (2 * HP) >> 3, sRow, ldS, false);
      normStep(ctx, QH, scr, ldS, r0, r1, k, 0, 2, 2);
      scaleH(ctx, r0, r1, k, 0, 2, false);
      for (let b = r0; b < r1; b++) cellBefore1(ctx, b, k);
      const qRow = ptr4(getp(ctx, F_Q), (r0 * T + k) * HP);
      gemm(rows, HP, qRow, ldA, 4, up, HP, (2 * HP) >> 3, (3 * HP) >> 3, sRow, ldS, false);
      normStep(ctx, QH, scr, ldS, r0, r1, k, 2, 1, 1);
      scaleH(ctx, r0, r1, k, 2, 1, false);
      for (let b = r0; b < r1; b++) cellBefore2(ctx, b, k);
    }
  }
}

/**
 * Backward step k of row b, first part: the incoming dh split by padding and zoneout, ∂a_z and
 * ∂a_h (into DAR), reset-after also ∂a_r and the N_h-side gradient (PREU); the carried dh.
 */
function cellBack1(ctx: usize, b: i32, k: i32, after: bool): void {
  const T = geti(ctx, F_T),
    HP = geti(ctx, F_HP),
    NP = geti(ctx, F_NP);
  const act = geti(ctx, F_ACT),
    gact = geti(ctx, F_GACT);
  const row = b * T + k;
  const a = ptr4(getp(ctx, F_ACTS), row * NP);
  const da = ptr4(getp(ctx, F_DAR), row * NP);
  const pu = after ? ptr4(getp(ctx, F_PREU), row * NP) : 0;
  const cm = candMask(ctx, b, k);
  const hp = ptr4(getp(ctx, F_HS), (b * (T + 1) + k) * HP);
  const ds = ptr4(getp(ctx, F_DSEQ), row * HP);
  const dhc = ptr4(getp(ctx, F_DHC), b * HP),
    dhh = ptr4(getp(ctx, F_DHH), b * HP);
  const rm = recMaskRow(ctx, k + 1, b),
    sm = getp(ctx, F_SMASK);
  const zh = hasZoneout(ctx, F_ZH);
  const norms = getp(ctx, F_GNH) != 0;
  let sqh = f32x4.splat(0);
  const one = f32x4.splat(1);
  const s = sm != 0 ? f32x4.splat(load<f32>(ptr4(sm, row))) : one;
  const g = (<usize>HP) << 2;
  for (let u = 0; u < HP; u += 4) {
    const o = (<usize>u) << 2;
    let dr = v128.load(dhh + o);
    if (rm != 0) dr = f32x4.mul(dr, v128.load(rm + o));
    const dIn = f32x4.add(f32x4.add(v128.load(ds + o), v128.load(dhc + o)), dr);
    if (norms) sqh = f32x4.add(sqh, f32x4.mul(dIn, dIn));
    let dn = f32x4.mul(s, dIn);
    let dhp = f32x4.mul(f32x4.sub(one, s), dIn);
    if (zh) {
      const d = zoneoutKeep(ctx, F_ZH, k, b, u);
      dhp = f32x4.add(dhp, f32x4.mul(d, dn));
      dn = f32x4.mul(f32x4.sub(one, d), dn);
    }
    const z = v128.load(a + o),
      r = v128.load(a + g + o),
      hr = v128.load(a + 2 * g + o);
    const mc = cm != 0 ? v128.load(cm + o) : one;
    const hprev = v128.load(hp + o);
    const daz = f32x4.mul(f32x4.mul(dn, f32x4.sub(hprev, f32x4.mul(hr, mc))), vdact(gact, z));
    dhp = f32x4.add(dhp, f32x4.mul(dn, z));
    const dah = f32x4.mul(f32x4.mul(f32x4.mul(dn, f32x4.sub(one, z)), mc), vdact(act, hr));
    v128.store(da + o, daz);
    v128.store(da + 2 * g + o, dah);
    if (after) {
      const uh = v128.load(pu + 2 * g + o);
      const dar = f32x4.mul(f32x4.mul(dah, uh), vdact(gact, r));
      v128.store(da + g + o, dar);
      v128.store(pu + o, daz);
      v128.store(pu + g + o, dar);
      v128.store(pu + 2 * g + o, f32x4.mul(dah, r));
    }
    v128.store(dhc + o, dhp);
  }
  if (norms) storeNorms(ctx, b, k, sqh, sqh);
}

/** Reset-before, second part: ∂a_r = dq ⊙ ĥ ⊙ σ'(r) (into DAR), the carried dh += dq ⊙ r ⊙ m_rec. */
function cellBack2(ctx: usize, b: i32, k: i32): void {
  const T = geti(ctx, F_T),
    HP = geti(ctx, F_HP),
    NP = geti(ctx, F_NP);
  const gact = geti(ctx, F_GACT);
  const row = b * T + k;
  const a = ptr4(getp(ctx, F_ACTS), row * NP);
  const da = ptr4(getp(ctx, F_DAR), row * NP);
  const hh = ptr4(getp(ctx, F_HHAT), row * HP);
  const dq = ptr4(getp(ctx, F_DQ), b * HP);
  const dhc = ptr4(getp(ctx, F_DHC), b * HP);
  const rm = recMaskRow(ctx, k, b);
  const g = (<usize>HP) << 2;
  for (let u = 0; u < HP; u += 4) {
    const o = (<usize>u) << 2;
    const r = v128.load(a + g + o);
    const q = v128.load(dq + o);
    v128.store(da + g + o, f32x4.mul(f32x4.mul(q, v128.load(hh + o)), vdact(gact, r)));
    let dh = f32x4.mul(q, r);
    if (rm != 0) dh = f32x4.mul(dh, v128.load(rm + o));
    v128.store(dhc + o, f32x4.add(v128.load(dhc + o), dh));
  }
}

/** Packs rows (b, k), b in [r0, r1), of ∂ values [B][T][NP] at v into the panels of dap. */
function packRows(ctx: usize, v: usize, dap: usize, r0: i32, r1: i32, k: i32): void {
  const B = geti(ctx, F_B),
    T = geti(ctx, F_T),
    NP = geti(ctx, F_NP);
  for (let b = r0; b < r1; b++) {
    const row = b * T + k;
    const p = ptr4(v, row * NP);
    for (let c = 0; c < NP; c += 4) storePacked(dap, B * T, row, c, v128.load(p + ((<usize>c) << 2)));
  }
}

export function gruNormBackward(ctx: usize, r0: i32, r1: i32): void {
  if (r1 <= r0) return;
  const T = geti(ctx, F_T),
    HP = geti(ctx, F_HP),
    NP = geti(ctx, F_NP),
    DP = geti(ctx, F_DP);
  const rows = r1 - r0;
  const acts = getp(ctx, F_ACTS),
    dar = getp(ctx, F_DAR),
    utp = getp(ctx, F_UTP);
  const after = geti(ctx, F_RESET_AFTER) != 0;
  const dhh = ptr4(getp(ctx, F_DHH), r0 * HP);
  const rowNP = (<usize>(T * NP)) << 2,
    ldC = (<usize>HP) << 2;
  initCarry(ctx, r0, r1, false);
  for (let k = T - 1; k >= 0; k--) {
    for (let b = r0; b < r1; b++) cellBack1(ctx, b, k, after);
    const aRow = (r0 * T + k) * NP;
    if (after) {
      // ∂(ĥ·U) = N_h⁻¹'([∂a_z ∂a_r ∂u_h]) → ACTS, dĥ = ∂(ĥ·U)·Uᵀ
      normStepBack(
        ctx,
        QH,
        ptr4(getp(ctx, F_PREU), k * NP),
        rowNP,
        ptr4(acts, k * NP),
        rowNP,
        r0,
        r1,
        k,
        0,
        G,
        G,
      );
      gemm(rows, NP, ptr4(acts, aRow), rowNP, 4, utp, NP, 0, HP >> 3, dhh, ldC, false);
    } else {
      // ∂(q·U_h) = N_h⁻¹'(∂a_h), dq = ∂(q·U_h)·U_hᵀ, ∂a_r, then ∂([ĥU_z ĥU_r]) and dĥ
      normStepBack(ctx, QH, ptr4(dar, k * NP), rowNP, ptr4(acts, k * NP), rowNP, r0, r1, k, 2, 1, 1);
      const dq = ptr4(getp(ctx, F_DQ), r0 * HP);
      gemm(
        rows,
        HP,
        ptr4(acts, aRow + 2 * HP),
        rowNP,
        4,
        ptr4(utp, 2 * HP * 8),
        NP,
        0,
        HP >> 3,
        dq,
        ldC,
        false,
      );
      for (let b = r0; b < r1; b++) cellBack2(ctx, b, k);
      normStepBack(ctx, QH, ptr4(dar, k * NP), rowNP, ptr4(acts, k * NP), rowNP, r0, r1, k, 0, 2, 2);
      gemm(rows, 2 * HP, ptr4(acts, aRow), rowNP, 4, utp, NP, 0, HP >> 3, dhh, ldC, false);
    }
    packRows(ctx, acts, getp(ctx, F_DAP), r0, r1, k);
  }
  finishDh(ctx, r0, r1);
  // ∂(x·W) = N_x⁻¹'(∂a) → ACTS (dx's input) and the dW panels
  for (let k = 0; k < T; k++) {
    normStepBack(ctx, QX, ptr4(dar, k * NP), rowNP, ptr4(acts, k * NP), rowNP, r0, r1, k, 0, G, G);
    packRows(ctx, acts, getp(ctx, F_DAPN), r0, r1, k);
  }
  gemm(
    rows * T,
    NP,
    ptr4(acts, r0 * T * NP),
    (<usize>NP) << 2,
    4,
    getp(ctx, F_WTP),
    NP,
    0,
    DP >> 3,
    ptr4(getp(ctx, F_DXO), r0 * T * DP),
    (<usize>DP) << 2,
    false,
  );
}

function share(panels: i32, part: i32, parts: i32): i32 {
  return (panels * part) / parts;
}

/**
 * dW = [X,1]ᵀ·∂(x·W), dU = Ĥᵀ·∂(ĥ·U) (reset-before: the h block Qᵀ·∂(q·U_h)), share `part` of
 * `parts` of the panels (any split gives the same bits).
 */
export function gruNormWeightGrads(ctx: usize, part: i32, parts: i32): void {
  const BT = geti(ctx, F_B) * geti(ctx, F_T),
    HP = geti(ctx, F_HP),
    NP = geti(ctx, F_NP),
    DX = geti(ctx, F_DX);
  const dap = getp(ctx, F_DAP),
    hhat = getp(ctx, F_HHAT);
  const dw = getp(ctx, F_DW),
    du = getp(ctx, F_DU);
  const ld = (<usize>NP) << 2;
  const P = NP >> 3,
    PH = HP >> 3;
  const hs = (<usize>HP) << 2;
  const after = geti(ctx, F_RESET_AFTER) != 0;
  gemm(
    DX,
    BT,
    getp(ctx, F_XA),
    4,
    (<usize>DX) << 2,
    getp(ctx, F_DAPN),
    BT,
    share(P, part, parts),
    share(P, part + 1, parts),
    dw,
    ld,
    false,
  );
  if (after) {
    gemm(HP, BT, hhat, 4, hs, dap, BT, share(P, part, parts), share(P, part + 1, parts), du, ld, false);
  } else {
    gemm(
      HP,
      BT,
      hhat,
      4,
      hs,
      dap,
      BT,
      share(2 * PH, part, parts),
      share(2 * PH, part + 1, parts),
      du,
      ld,
      false,
    );
    const p0 = 2 * PH + share(PH, part, parts),
      p1 = 2 * PH + share(PH, part + 1, parts);
    gemm(HP, BT, getp(ctx, F_Q), 4, hs, dap, BT, p0, p1, du, ld, false);
  }
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
