/**
 * The normalised LSTM (layer norm or recurrent batch norm inside the cell; NORM_KIND of
 * src/fused/abi.ts, the native kernels' design), forward and backward through time, on rows
 * [r0, r1) of the batch. Layer norm keeps rows independent (two threads split them like the plain
 * LSTM); batch norm's statistics span the batch, so the loader runs it on all rows at once.
 * The plain LSTM (./lstm.ts) never comes here; what both normalised cells share is in ./norm-seq.ts.
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
  geti,
  getp,
  F_ACT,
  F_ACTS,
  F_B,
  F_BC,
  F_CS,
  F_DAP,
  F_DAR,
  F_DBC,
  F_DCC,
  F_DGC,
  F_DGH,
  F_DGX,
  F_DHC,
  F_DHH,
  F_DNC,
  F_DSEQ,
  F_DW,
  F_DX,
  F_GACT,
  F_GC,
  F_GH,
  F_GNH,
  F_HHAT,
  F_HP,
  F_HS,
  F_NC,
  F_NH,
  F_NP,
  F_NSCR,
  F_NX,
  F_SCR,
  F_SMASK,
  F_T,
  F_YS,
  F_ZC,
  F_ZH,
} from './ctx';
import { LstmGates } from './lstm-cell';
import { vact, vdact } from './math';
import { columnSums, scaleShift } from './norm';
import {
  QC,
  QH,
  beginNormForward,
  endNormBackward,
  normStepAll,
  normStepBackAll,
  packRows,
} from './norm-seq';
import {
  candMask,
  carryRow,
  gateRow,
  incomingDh,
  initCarry,
  nextHhatRow,
  ptr4,
  recMaskRow,
  recurrentGradient,
  stateRow,
  stepMaskAt,
  storeNorms,
  timesU,
  unitRow,
} from './seq';
import { hasZoneout, ZoneoutPad } from './zoneout';

/** Step k, first half: gates (into ACTS) and c̃ (into the next cell-state slot) of row b. */
function cellGates(ctx: usize, b: i32, k: i32): void {
  const HP = geti(ctx, F_HP);
  const act = geti(ctx, F_ACT),
    gact = geti(ctx, F_GACT);
  const a = gateRow(ctx, F_ACTS, b, k);
  const sa = ptr4(getp(ctx, F_SCR), b * geti(ctx, F_NP)) - a; // N_h(ĥ·U), as an offset from a
  const cp = stateRow(ctx, F_CS, b, k);
  const cn = cp + ((<usize>HP) << 2);
  const cm = candMask(ctx, b, k);
  const hpB = (<usize>HP) << 2;
  for (let u = 0; u < HP; u += 4) {
    const o4 = (<usize>u) << 2;
    v128.store(cn + o4, LstmGates.forward(a, sa, hpB, o4, cm, cp, act, gact));
  }
}

/** Step k, second half: y = φ(N_c(c̃)), h̃ = o ⊙ y, zoneout and padding, ĥ of the next step. */
function cellOutputs(ctx: usize, b: i32, k: i32): void {
  const HP = geti(ctx, F_HP);
  const act = geti(ctx, F_ACT);
  const go = ptr4(gateRow(ctx, F_ACTS, b, k), 3 * HP);
  const xc = unitRow(ctx, F_NC, b, k);
  const gc = getp(ctx, F_GC),
    bc = getp(ctx, F_BC);
  const ys = unitRow(ctx, F_YS, b, k);
  const cp = stateRow(ctx, F_CS, b, k);
  const hp = stateRow(ctx, F_HS, b, k);
  const cn = cp + ((<usize>HP) << 2),
    hn = hp + ((<usize>HP) << 2);
  const rm = recMaskRow(ctx, k + 1, b); // ĥ_{k+1} = h_k ⊙ the mask of step k + 1
  const hh = nextHhatRow(ctx, b, k);
  const padded = getp(ctx, F_SMASK) != 0,
    m = stepMaskAt(ctx, b, k);
  const zc = hasZoneout(ctx, F_ZC),
    zh = hasZoneout(ctx, F_ZH);
  for (let u = 0; u < HP; u += 4) {
    const o4 = (<usize>u) << 2;
    const nc = f32x4.add(f32x4.mul(v128.load(gc + o4), v128.load(xc + o4)), v128.load(bc + o4));
    const y = vact(act, nc);
    v128.store(ys + o4, y);
    const c = ZoneoutPad.forward(ctx, F_ZC, zc, padded, m, k, b, u, v128.load(cp + o4), v128.load(cn + o4)),
      h = ZoneoutPad.forward(
        ctx,
        F_ZH,
        zh,
        padded,
        m,
        k,
        b,
        u,
        v128.load(hp + o4),
        f32x4.mul(v128.load(go + o4), y),
      );
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
    NP = geti(ctx, F_NP);
  beginNormForward(ctx, r0, r1, true);
  const hhat = getp(ctx, F_HHAT),
    scr = getp(ctx, F_SCR);
  const nh = getp(ctx, F_NH),
    gh = getp(ctx, F_GH);
  const cs = getp(ctx, F_CS);
  for (let k = 0; k < T; k++) {
    timesU(ctx, hhat, r0, r1, k, 0, NP >> 3, ptr4(scr, r0 * NP), (<usize>NP) << 2, false);
    normStepAll(ctx, QH, scr, (<usize>NP) << 2, r0, r1, k);
    for (let b = r0; b < r1; b++) scaleShift(ptr4(scr, b * NP), ptr4(nh, (b * T + k) * NP), gh, 0, NP);
    for (let b = r0; b < r1; b++) cellGates(ctx, b, k);
    normStepAll(ctx, QC, ptr4(cs, (k + 1) * HP), (<usize>((T + 1) * HP)) << 2, r0, r1, k);
    for (let b = r0; b < r1; b++) cellOutputs(ctx, b, k);
  }
}

/**
 * Backward step k, first half for row b: the incoming gradients split by padding and zoneout,
 * do (→ ∂a of the o gate), ∂N_c (→ DNC), dc̃ from the carry (→ NSCR[b][0, HP)).
 */
function cellBackOutputs(ctx: usize, b: i32, k: i32): void {
  const HP = geti(ctx, F_HP);
  const act = geti(ctx, F_ACT),
    gact = geti(ctx, F_GACT);
  const go = ptr4(gateRow(ctx, F_ACTS, b, k), 3 * HP);
  const dao = ptr4(gateRow(ctx, F_DAR, b, k), 3 * HP);
  const ys = unitRow(ctx, F_YS, b, k);
  const dnc = unitRow(ctx, F_DNC, b, k);
  const dcz0 = ptr4(getp(ctx, F_NSCR), b * 2 * HP);
  const rm = recMaskRow(ctx, k + 1, b); // dĥ_{k+1} (from step k + 1's GEMM) through its mask
  const ds = unitRow(ctx, F_DSEQ, b, k);
  const norms = getp(ctx, F_GNH) != 0;
  let sqh = f32x4.splat(0),
    sqc = f32x4.splat(0);
  const dhc = carryRow(ctx, F_DHC, b),
    dcc = carryRow(ctx, F_DCC, b),
    dhh = carryRow(ctx, F_DHH, b);
  const zc = hasZoneout(ctx, F_ZC),
    zh = hasZoneout(ctx, F_ZH);
  const m = stepMaskAt(ctx, b, k);
  for (let u = 0; u < HP; u += 4) {
    const o4 = (<usize>u) << 2;
    const dhIn = incomingDh(ds, dhc, dhh, rm, o4);
    const dcIn = v128.load(dcc + o4);
    if (norms) {
      // ∂L/∂h_{k+1}, ∂L/∂c_{k+1} complete here
      sqh = f32x4.add(sqh, f32x4.mul(dhIn, dhIn));
      sqc = f32x4.add(sqc, f32x4.mul(dcIn, dcIn));
    }
    // the carried dh_k, dc_k (→ DHC, DCC) and what reaches h̃, c̃
    const dhz = ZoneoutPad.backward(ctx, F_ZH, zh, m, k, b, u, dhIn, dhc + o4),
      dcz = ZoneoutPad.backward(ctx, F_ZC, zc, m, k, b, u, dcIn, dcc + o4);
    const o = v128.load(go + o4),
      y = v128.load(ys + o4);
    v128.store(dao + o4, f32x4.mul(f32x4.mul(dhz, y), vdact(gact, o)));
    v128.store(dnc + o4, f32x4.mul(f32x4.mul(dhz, o), vdact(act, y)));
    v128.store(dcz0 + o4, dcz);
  }
  if (norms) storeNorms(ctx, b, k, sqh, sqc);
}

/** Backward step k, second half for row b: dc̃ = carry + through N_c; ∂a of i, f, c; the carried dc. */
function cellBackGates(ctx: usize, b: i32, k: i32): void {
  const HP = geti(ctx, F_HP);
  const act = geti(ctx, F_ACT),
    gact = geti(ctx, F_GACT);
  const a = gateRow(ctx, F_ACTS, b, k);
  const da = gateRow(ctx, F_DAR, b, k);
  const cp = stateRow(ctx, F_CS, b, k);
  const cm = candMask(ctx, b, k);
  const scr = ptr4(getp(ctx, F_NSCR), b * 2 * HP);
  const dcc = carryRow(ctx, F_DCC, b);
  const hpB = (<usize>HP) << 2;
  for (let u = 0; u < HP; u += 4) {
    const o4 = (<usize>u) << 2;
    const dct = f32x4.add(v128.load(scr + o4), v128.load(scr + hpB + o4));
    const dcf = LstmGates.backward(a, da, hpB, u, dct, cm, cp, act, gact, 0, 0, 0);
    v128.store(dcc + o4, f32x4.add(v128.load(dcc + o4), dcf));
  }
}

/** Backward through time over rows [r0, r1) (batch norm: every row), then dx of those rows. */
export function lstmNormBackward(ctx: usize, r0: i32, r1: i32): void {
  if (r1 <= r0) return;
  const T = geti(ctx, F_T),
    HP = geti(ctx, F_HP),
    NP = geti(ctx, F_NP);
  const acts = getp(ctx, F_ACTS),
    dar = getp(ctx, F_DAR);
  const rowNP = (<usize>(T * NP)) << 2,
    rowHP = (<usize>(T * HP)) << 2;
  const nscr = getp(ctx, F_NSCR);
  initCarry(ctx, r0, r1, true);
  for (let k = T - 1; k >= 0; k--) {
    for (let b = r0; b < r1; b++) cellBackOutputs(ctx, b, k);
    // dc̃ through N_c: ∂N_c rows → NSCR[b][HP, 2HP)
    const dnc = ptr4(getp(ctx, F_DNC), k * HP);
    normStepBackAll(ctx, QC, dnc, rowHP, nscr + ((<usize>HP) << 2), (<usize>(2 * HP)) << 2, r0, r1, k);
    for (let b = r0; b < r1; b++) cellBackGates(ctx, b, k);
    // ∂(ĥ·U) = N_h⁻¹'(∂a) → ACTS (the recurrent GEMM's input) and the dU panels
    normStepBackAll(ctx, QH, ptr4(dar, k * NP), rowNP, ptr4(acts, k * NP), rowNP, r0, r1, k);
    packRows(ctx, acts, getp(ctx, F_DAP), r0, r1, k);
    recurrentGradient(ctx, acts, r0, r1, k);
  }
  endNormBackward(ctx, r0, r1);
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
