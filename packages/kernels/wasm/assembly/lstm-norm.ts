/**
 * The normalised LSTM (layer norm or recurrent batch norm inside the cell; NORM_KIND of
 * src/fused/abi.ts, the native kernels' design), forward and backward through time, on rows
 * [r0, r1) of the batch. Layer norm keeps rows independent (two threads split them like the plain
 * LSTM); batch norm's statistics span the batch, so the loader runs it on all rows at once.
 * The plain LSTM (./lstm.ts) is untouched: a call without normalisation never comes here.
 *
 * Step k (gate order i, f, c, o; ĥ = h ⊙ m_rec, the Gal mask per sequence or per step):
 *   a = N_x(x_k·W) + b + N_h(ĥ·U)     (N_x of every step before the loop, b added after it)
 *   i, f, o = σ(a_i, a_f, a_o);  g = φ(a_g) ⊙ m_cand;  c̃ = f ⊙ c_{k−1} + i ⊙ g
 *   y = φ(N_c(c̃)) (N_c = γ_c ⊙ x̂_c + β_c);  h̃ = o ⊙ y;  c_k, h_k = pad(zoneout(…, c̃)), pad(zoneout(…, h̃))
 * Backward (D = incoming gradients split by padding and zoneout into dh̃, dc̃_carry):
 *   do = dh̃ ⊙ y ⊙ σ'(o);  ∂N_c = dh̃ ⊙ o ⊙ φ'(y);  dc̃ = dc̃_carry + N_c⁻¹'(∂N_c)
 *   di, df, dg as the plain cell;  ∂a → ∂(ĥ·U) = N_h⁻¹'(∂a) (dĥ = ∂(ĥ·U)·Uᵀ, dU = Ĥᵀ·∂(ĥ·U)),
 *   ∂(x·W) = N_x⁻¹'(∂a) (dx, dW = Xᵀ·∂(x·W)), db = Σ ∂a, ∂γ_x = Σ ∂a ⊙ x̂_x, ∂γ_h = Σ ∂a ⊙ x̂_h,
 *   ∂γ_c = Σ ∂N_c ⊙ x̂_c, ∂β_c = Σ ∂N_c (./norm.ts's column sums, after the loop).
 */
import {
  getf,
  geti,
  getp,
  F_ACT,
  F_ACTS,
  F_B,
  F_BC,
  F_CMASK,
  F_CS,
  F_CSTEP,
  F_DAP,
  F_DAPN,
  F_DAR,
  F_DCC,
  F_DHC,
  F_DHH,
  F_DNC,
  F_DP,
  F_DSEQ,
  F_DXO,
  F_GACT,
  F_GC,
  F_GH,
  F_GNH,
  F_GX,
  F_H,
  F_HHAT,
  F_HP,
  F_HS,
  F_NBIAS,
  F_NC,
  F_NEPS,
  F_NH,
  F_NKIND,
  F_NMAX,
  F_NP,
  F_NSCOPE,
  F_NSCR,
  F_NTRAIN,
  F_NX,
  F_RC,
  F_RH,
  F_RX,
  F_SCR,
  F_SMASK,
  F_SMC,
  F_SMH,
  F_SMX,
  F_SVC,
  F_SVH,
  F_SVX,
  F_T,
  F_UP,
  F_UTP,
  F_WP,
  F_WTP,
  F_XA,
  F_DX,
  F_DGC,
  F_DGH,
  F_DGX,
  F_DBC,
  F_DW,
  F_YS,
  F_ZC,
  F_ZH,
  NORM_LAYER,
  NORM_SCOPE_GATE,
} from './ctx';
import { gemm } from './gemm';
import { finishDh, initCarry, initStates, ptr4, recMaskRow, storeNorms, storePacked } from './seq';
import { vact, vdact } from './math';
import { bnBackward, bnForward, columnSums, lnBackward, lnForward, scaleShift } from './norm';
import { hasZoneout, mix, zoneoutKeep } from './zoneout';

/**
 * The normalised quantities, by number: x·W, ĥ·U, c̃ (no objects: the kernels allocate nothing,
 * and the memory past __heap_base belongs to the loader). Fields of each: x̂ tape, rstd tape, γ,
 * statistics; its gate blocks (width blocks·HP).
 */
const QX: i32 = 0,
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
function blocksOf(q: i32): i32 {
  return q == QC ? 1 : 4;
}

function isLayer(ctx: usize): bool {
  return geti(ctx, F_NKIND) == NORM_LAYER;
}

/** Layer-norm group size of a quantity of `blocks` blocks: all of them ('fused') or one ('gate'). */
function groupOf(ctx: usize, blocks: i32): i32 {
  return geti(ctx, F_NSCOPE) == NORM_SCOPE_GATE ? 1 : blocks;
}

/**
 * Normalises quantity q of row (b, k) for rows [r0, r1) at processing step k: values at
 * v + b·vStride (bytes) → x̂ into q's tape row (b·T + k), rstd into its tape.
 */
function normStep(ctx: usize, q: i32, v: usize, vStride: usize, r0: i32, r1: i32, k: i32): void {
  const T = geti(ctx, F_T),
    HP = geti(ctx, F_HP),
    H = geti(ctx, F_H);
  const W = blocksOf(q) * HP;
  const eps = getf(ctx, F_NEPS);
  const xh = getp(ctx, fXh(q)),
    rs = getp(ctx, fRs(q));
  if (isLayer(ctx)) {
    const group = groupOf(ctx, blocksOf(q));
    for (let b = r0; b < r1; b++) {
      const row = b * T + k;
      lnForward(
        v + <usize>b * vStride,
        ptr4(xh, row * W),
        ptr4(rs, row * blocksOf(q)),
        0,
        blocksOf(q),
        group,
        H,
        HP,
        eps,
      );
    }
    return;
  }
  const training = geti(ctx, F_NTRAIN) != 0;
  const srow = training ? k : min(k, geti(ctx, F_NMAX) - 1);
  bnForward(
    v + <usize>r0 * vStride,
    vStride,
    ptr4(xh, (r0 * T + k) * W),
    (<usize>(T * W)) << 2,
    r1 - r0,
    W,
    ptr4(getp(ctx, fMean(q)), srow * W),
    ptr4(getp(ctx, fVar(q)), srow * W),
    ptr4(rs, k * W),
    training,
    eps,
  );
}

/** The backward of normStep: dy rows at dy + b·dyStride → dv rows at dv + b·dvStride (may alias dy). */
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
): void {
  const T = geti(ctx, F_T),
    HP = geti(ctx, F_HP),
    H = geti(ctx, F_H);
  const W = blocksOf(q) * HP;
  const xh = getp(ctx, fXh(q)),
    rs = getp(ctx, fRs(q)),
    gamma = getp(ctx, fGamma(q));
  if (isLayer(ctx)) {
    const group = groupOf(ctx, blocksOf(q));
    for (let b = r0; b < r1; b++) {
      const row = b * T + k;
      lnBackward(
        dy + <usize>b * dyStride,
        gamma,
        ptr4(xh, row * W),
        ptr4(rs, row * blocksOf(q)),
        dv + <usize>b * dvStride,
        0,
        blocksOf(q),
        group,
        H,
        HP,
      );
    }
    return;
  }
  bnBackward(
    dy + <usize>r0 * dyStride,
    dyStride,
    gamma,
    ptr4(xh, (r0 * T + k) * W),
    (<usize>(T * W)) << 2,
    ptr4(rs, k * W),
    dv + <usize>r0 * dvStride,
    dvStride,
    r1 - r0,
    W,
    geti(ctx, F_NTRAIN) != 0,
  );
}

/** Step k, first half: gates (into ACTS) and c̃ (into the next cell-state slot) of row b. */
function cellGates(ctx: usize, b: i32, k: i32): void {
  const T = geti(ctx, F_T),
    HP = geti(ctx, F_HP),
    NP = geti(ctx, F_NP);
  const act = geti(ctx, F_ACT),
    gact = geti(ctx, F_GACT);
  const a = ptr4(getp(ctx, F_ACTS), (b * T + k) * NP);
  const sa = ptr4(getp(ctx, F_SCR), b * NP) - a; // N_h(ĥ·U), as an offset from a
  const cp = ptr4(getp(ctx, F_CS), (b * (T + 1) + k) * HP);
  const cn = cp + ((<usize>HP) << 2);
  const cmBase = getp(ctx, F_CMASK);
  const cm: usize =
    cmBase == 0 ? 0 : ptr4(cmBase, (geti(ctx, F_CSTEP) != 0 ? k * geti(ctx, F_B) + b : b) * HP);
  const hpB = (<usize>HP) << 2;
  for (let u = 0; u < HP; u += 4) {
    const o4 = (<usize>u) << 2;
    const gi = a + o4,
      gf = gi + hpB,
      gg = gf + hpB,
      go = gg + hpB;
    const i = vact(gact, f32x4.add(v128.load(gi), v128.load(gi + sa))),
      f = vact(gact, f32x4.add(v128.load(gf), v128.load(gf + sa))),
      gr = vact(act, f32x4.add(v128.load(gg), v128.load(gg + sa))),
      o = vact(gact, f32x4.add(v128.load(go), v128.load(go + sa)));
    v128.store(gi, i);
    v128.store(gf, f);
    v128.store(gg, gr);
    v128.store(go, o);
    const g = cm != 0 ? f32x4.mul(gr, v128.load(cm + o4)) : gr;
    v128.store(cn + o4, f32x4.add(f32x4.mul(f, v128.load(cp + o4)), f32x4.mul(i, g)));
  }
}

/** Step k, second half: y = φ(N_c(c̃)), h̃ = o ⊙ y, zoneout and padding, ĥ of the next step. */
function cellOutputs(ctx: usize, b: i32, k: i32): void {
  const T = geti(ctx, F_T),
    HP = geti(ctx, F_HP),
    NP = geti(ctx, F_NP);
  const act = geti(ctx, F_ACT);
  const go = ptr4(getp(ctx, F_ACTS), (b * T + k) * NP + 3 * HP);
  const xc = ptr4(getp(ctx, F_NC), (b * T + k) * HP);
  const gc = getp(ctx, F_GC),
    bc = getp(ctx, F_BC);
  const ys = ptr4(getp(ctx, F_YS), (b * T + k) * HP);
  const cp = ptr4(getp(ctx, F_CS), (b * (T + 1) + k) * HP);
  const hp = ptr4(getp(ctx, F_HS), (b * (T + 1) + k) * HP);
  const cn = cp + ((<usize>HP) << 2),
    hn = hp + ((<usize>HP) << 2);
  const rm = recMaskRow(ctx, k + 1, b); // ĥ_{k+1} = h_k ⊙ the mask of step k + 1
  const hh: usize = k + 1 < T ? ptr4(getp(ctx, F_HHAT), (b * T + k + 1) * HP) : 0;
  const sm = getp(ctx, F_SMASK);
  const zc = hasZoneout(ctx, F_ZC),
    zh = hasZoneout(ctx, F_ZH);
  for (let u = 0; u < HP; u += 4) {
    const o4 = (<usize>u) << 2;
    const nc = f32x4.add(f32x4.mul(v128.load(gc + o4), v128.load(xc + o4)), v128.load(bc + o4));
    const y = vact(act, nc);
    v128.store(ys + o4, y);
    const cprev = v128.load(cp + o4),
      hprev = v128.load(hp + o4);
    let c = v128.load(cn + o4),
      h = f32x4.mul(v128.load(go + o4), y);
    if (zc) c = mix(zoneoutKeep(ctx, F_ZC, k, b, u), cprev, c);
    if (zh) h = mix(zoneoutKeep(ctx, F_ZH, k, b, u), hprev, h);
    if (sm != 0) {
      const m = f32x4.splat(load<f32>(ptr4(sm, b * T + k)));
      c = mix(m, c, cprev);
      h = mix(m, h, hprev);
    }
    v128.store(cn + o4, c);
    v128.store(hn + o4, h);
    if (hh != 0) v128.store(hh + o4, rm != 0 ? f32x4.mul(h, v128.load(rm + o4)) : h);
  }
}

/** Forward over rows [r0, r1) (batch norm: every row): N_x of all steps, then the recurrence. */
export function lstmNormForward(ctx: usize, r0: i32, r1: i32): void {
  if (r1 <= r0) return;
  const T = geti(ctx, F_T),
    HP = geti(ctx, F_HP),
    NP = geti(ctx, F_NP),
    DX = geti(ctx, F_DX);
  const rows = r1 - r0;
  const acts = getp(ctx, F_ACTS);
  const rowB = (<usize>(T * NP)) << 2; // bytes from (b, k) to (b + 1, k) in [B][T][NP]
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
  // a ← N_x(x·W) + b for every step (layer: rows; batch: steps)
  const nx = getp(ctx, F_NX),
    gx = getp(ctx, F_GX),
    nb = getp(ctx, F_NBIAS);
  for (let k = 0; k < T; k++) {
    normStep(ctx, QX, ptr4(acts, k * NP), rowB, r0, r1, k);
    for (let b = r0; b < r1; b++) {
      const row = b * T + k;
      scaleShift(ptr4(acts, row * NP), ptr4(nx, row * NP), gx, nb, NP);
    }
  }
  initStates(ctx, r0, r1, true);
  const up = getp(ctx, F_UP),
    hhat = getp(ctx, F_HHAT),
    scr = getp(ctx, F_SCR);
  const nh = getp(ctx, F_NH),
    gh = getp(ctx, F_GH);
  const cs = getp(ctx, F_CS);
  for (let k = 0; k < T; k++) {
    gemm(
      rows,
      HP,
      ptr4(hhat, (r0 * T + k) * HP),
      (<usize>(T * HP)) << 2,
      4,
      up,
      HP,
      0,
      NP >> 3,
      ptr4(scr, r0 * NP),
      (<usize>NP) << 2,
      false,
    );
    normStep(ctx, QH, scr, (<usize>NP) << 2, r0, r1, k);
    for (let b = r0; b < r1; b++) scaleShift(ptr4(scr, b * NP), ptr4(nh, (b * T + k) * NP), gh, 0, NP);
    for (let b = r0; b < r1; b++) cellGates(ctx, b, k);
    normStep(ctx, QC, ptr4(cs, (k + 1) * HP), (<usize>((T + 1) * HP)) << 2, r0, r1, k);
    for (let b = r0; b < r1; b++) cellOutputs(ctx, b, k);
  }
}

/**
 * Backward step k, first half for row b: the incoming gradients split by padding and zoneout,
 * do (→ ∂a of the o gate), ∂N_c (→ DNC), dc̃ from the carry (→ NSCR[b][0, HP)).
 */
function cellBackOutputs(ctx: usize, b: i32, k: i32): void {
  const T = geti(ctx, F_T),
    HP = geti(ctx, F_HP),
    NP = geti(ctx, F_NP);
  const act = geti(ctx, F_ACT),
    gact = geti(ctx, F_GACT);
  const row = b * T + k;
  const go = ptr4(getp(ctx, F_ACTS), row * NP + 3 * HP);
  const dao = ptr4(getp(ctx, F_DAR), row * NP + 3 * HP);
  const ys = ptr4(getp(ctx, F_YS), row * HP);
  const dnc = ptr4(getp(ctx, F_DNC), row * HP);
  const dcz0 = ptr4(getp(ctx, F_NSCR), b * 2 * HP);
  const rm = recMaskRow(ctx, k + 1, b); // dĥ_{k+1} (from step k + 1's GEMM) through its mask
  const sm = getp(ctx, F_SMASK);
  const ds = ptr4(getp(ctx, F_DSEQ), row * HP);
  const norms = getp(ctx, F_GNH) != 0;
  let sqh = f32x4.splat(0),
    sqc = f32x4.splat(0);
  const dhc = ptr4(getp(ctx, F_DHC), b * HP),
    dcc = ptr4(getp(ctx, F_DCC), b * HP),
    dhh = ptr4(getp(ctx, F_DHH), b * HP);
  const zc = hasZoneout(ctx, F_ZC),
    zh = hasZoneout(ctx, F_ZH);
  const one = f32x4.splat(1);
  const s = sm != 0 ? f32x4.splat(load<f32>(ptr4(sm, row))) : one;
  for (let u = 0; u < HP; u += 4) {
    const o4 = (<usize>u) << 2;
    let dhIn = f32x4.add(v128.load(ds + o4), v128.load(dhc + o4));
    const dr = v128.load(dhh + o4);
    dhIn = f32x4.add(dhIn, rm != 0 ? f32x4.mul(dr, v128.load(rm + o4)) : dr);
    const dcIn = v128.load(dcc + o4);
    if (norms) {
      // ∂L/∂h_{k+1}, ∂L/∂c_{k+1} complete here
      sqh = f32x4.add(sqh, f32x4.mul(dhIn, dhIn));
      sqc = f32x4.add(sqc, f32x4.mul(dcIn, dcIn));
    }
    let dhz = f32x4.mul(s, dhIn),
      dcz = f32x4.mul(s, dcIn);
    let dhp = f32x4.mul(f32x4.sub(one, s), dhIn),
      dcp = f32x4.mul(f32x4.sub(one, s), dcIn);
    if (zh) {
      const d = zoneoutKeep(ctx, F_ZH, k, b, u);
      dhp = f32x4.add(dhp, f32x4.mul(d, dhz));
      dhz = f32x4.mul(f32x4.sub(one, d), dhz);
    }
    if (zc) {
      const d = zoneoutKeep(ctx, F_ZC, k, b, u);
      dcp = f32x4.add(dcp, f32x4.mul(d, dcz));
      dcz = f32x4.mul(f32x4.sub(one, d), dcz);
    }
    const o = v128.load(go + o4),
      y = v128.load(ys + o4);
    v128.store(dao + o4, f32x4.mul(f32x4.mul(dhz, y), vdact(gact, o)));
    v128.store(dnc + o4, f32x4.mul(f32x4.mul(dhz, o), vdact(act, y)));
    v128.store(dcz0 + o4, dcz);
    v128.store(dhc + o4, dhp);
    v128.store(dcc + o4, dcp);
  }
  if (norms) storeNorms(ctx, b, k, sqh, sqc);
}

/** Backward step k, second half for row b: dc̃ = carry + through N_c; ∂a of i, f, c; the carried dc. */
function cellBackGates(ctx: usize, b: i32, k: i32): void {
  const B = geti(ctx, F_B),
    T = geti(ctx, F_T),
    HP = geti(ctx, F_HP),
    NP = geti(ctx, F_NP);
  const act = geti(ctx, F_ACT),
    gact = geti(ctx, F_GACT);
  const row = b * T + k;
  const a = ptr4(getp(ctx, F_ACTS), row * NP);
  const da = ptr4(getp(ctx, F_DAR), row * NP);
  const cp = ptr4(getp(ctx, F_CS), (b * (T + 1) + k) * HP);
  const cmBase = getp(ctx, F_CMASK);
  const cm: usize = cmBase == 0 ? 0 : ptr4(cmBase, (geti(ctx, F_CSTEP) != 0 ? k * B + b : b) * HP);
  const scr = ptr4(getp(ctx, F_NSCR), b * 2 * HP);
  const dcc = ptr4(getp(ctx, F_DCC), b * HP);
  const one = f32x4.splat(1);
  const hpB = (<usize>HP) << 2;
  for (let u = 0; u < HP; u += 4) {
    const o4 = (<usize>u) << 2;
    const dct = f32x4.add(v128.load(scr + o4), v128.load(scr + hpB + o4));
    const i = v128.load(a + o4),
      f = v128.load(a + hpB + o4),
      gr = v128.load(a + 2 * hpB + o4);
    const mc = cm != 0 ? v128.load(cm + o4) : one;
    const g = cm != 0 ? f32x4.mul(gr, mc) : gr;
    v128.store(da + o4, f32x4.mul(f32x4.mul(dct, g), vdact(gact, i)));
    v128.store(da + hpB + o4, f32x4.mul(f32x4.mul(dct, v128.load(cp + o4)), vdact(gact, f)));
    v128.store(da + 2 * hpB + o4, f32x4.mul(f32x4.mul(f32x4.mul(dct, i), mc), vdact(act, gr)));
    v128.store(dcc + o4, f32x4.add(v128.load(dcc + o4), f32x4.mul(dct, f)));
  }
}

/** Packs `rows` rows (b, k) of ∂ values [B][T][NP] at v into the panels of dap. */
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

/** Backward through time over rows [r0, r1) (batch norm: every row), then dx of those rows. */
export function lstmNormBackward(ctx: usize, r0: i32, r1: i32): void {
  if (r1 <= r0) return;
  const T = geti(ctx, F_T),
    HP = geti(ctx, F_HP),
    NP = geti(ctx, F_NP),
    DP = geti(ctx, F_DP);
  const rows = r1 - r0;
  const acts = getp(ctx, F_ACTS),
    dar = getp(ctx, F_DAR),
    utp = getp(ctx, F_UTP);
  const rowNP = (<usize>(T * NP)) << 2,
    rowHP = (<usize>(T * HP)) << 2;
  const nscr = getp(ctx, F_NSCR);
  initCarry(ctx, r0, r1, true);
  for (let k = T - 1; k >= 0; k--) {
    for (let b = r0; b < r1; b++) cellBackOutputs(ctx, b, k);
    // dc̃ through N_c: ∂N_c rows → NSCR[b][HP, 2HP)
    normStepBack(
      ctx,
      QC,
      ptr4(getp(ctx, F_DNC), k * HP),
      rowHP,
      nscr + ((<usize>HP) << 2),
      (<usize>(2 * HP)) << 2,
      r0,
      r1,
      k,
    );
    for (let b = r0; b < r1; b++) cellBackGates(ctx, b, k);
    // ∂(ĥ·U) = N_h⁻¹'(∂a) → ACTS (the recurrent GEMM's input) and the dU panels
    normStepBack(ctx, QH, ptr4(dar, k * NP), rowNP, ptr4(acts, k * NP), rowNP, r0, r1, k);
    packRows(ctx, acts, getp(ctx, F_DAP), r0, r1, k);
    gemm(
      rows,
      NP,
      ptr4(acts, (r0 * T + k) * NP),
      rowNP,
      4,
      utp,
      NP,
      0,
      HP >> 3,
      ptr4(getp(ctx, F_DHH), r0 * HP),
      (<usize>HP) << 2,
      false,
    );
  }
  finishDh(ctx, r0, r1);
  // ∂(x·W) = N_x⁻¹'(∂a) → ACTS (dx's input) and the dW panels
  for (let k = 0; k < T; k++) {
    normStepBack(ctx, QX, ptr4(dar, k * NP), rowNP, ptr4(acts, k * NP), rowNP, r0, r1, k);
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

/**
 * The normalisation's parameter gradients and the bias gradient, share `part` of `parts` of the
 * columns: ∂γ_x = Σ ∂a ⊙ x̂_x, ∂γ_h = Σ ∂a ⊙ x̂_h, db = Σ ∂a (into dW's bias row, over what the
 * dW GEMM put there), and with a cell (LSTM) ∂γ_c = Σ ∂N_c ⊙ x̂_c, ∂β_c = Σ ∂N_c. Any cell.
 */
export function normGrads(ctx: usize, part: i32, parts: i32): void {
  const BT = geti(ctx, F_B) * geti(ctx, F_T),
    HP = geti(ctx, F_HP),
    NP = geti(ctx, F_NP),
    DX = geti(ctx, F_DX);
  const dar = getp(ctx, F_DAR);
  const n4 = NP >> 2,
    h4 = HP >> 2;
  const c0 = ((n4 * part) / parts) << 2,
    c1 = ((n4 * (part + 1)) / parts) << 2;
  const biasRow = ptr4(getp(ctx, F_DW), (DX - 1) * NP);
  columnSums(dar, getp(ctx, F_NX), BT, NP, c0, c1, getp(ctx, F_DGX), biasRow);
  columnSums(dar, getp(ctx, F_NH), BT, NP, c0, c1, getp(ctx, F_DGH), 0);
  const dgc = getp(ctx, F_DGC);
  if (dgc != 0) {
    const u0 = ((h4 * part) / parts) << 2,
      u1 = ((h4 * (part + 1)) / parts) << 2;
    columnSums(getp(ctx, F_DNC), getp(ctx, F_NC), BT, HP, u0, u1, dgc, getp(ctx, F_DBC));
  }
}
