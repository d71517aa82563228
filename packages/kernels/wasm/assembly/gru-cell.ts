/**
 * Pieces of the GRU step both GRU kernels share, plain (./gru.ts) and normalised (./gru-norm.ts):
 * the state update after the candidate, the backward of the step from the incoming dh to ∂a, and
 * the second backward part of reset-before, and the recurrent weight gradient dU. Gate order z, r,
 * h; the equations are those of ./gru.ts.
 */
import {
  geti,
  getp,
  F_ACT,
  F_ACTS,
  F_B,
  F_DAP,
  F_DAPX,
  F_DHC,
  F_DHH,
  F_DQ,
  F_DSEQ,
  F_DU,
  F_GACT,
  F_GNH,
  F_HHAT,
  F_HP,
  F_HS,
  F_NP,
  F_PREU,
  F_Q,
  F_SMASK,
  F_T,
  F_ZH,
} from './ctx';
import { gemm } from './gemm';
import { vdact } from './math';
import {
  candMask,
  carryRow,
  gateRow,
  incomingDh,
  nextHhatRow,
  panelShare,
  recMaskRow,
  stateRow,
  stepMaskAt,
  storeNorms,
  storePacked,
  unitRow,
} from './seq';
import { hasZoneout, ZoneoutPad } from './zoneout';

/**
 * Units u..u+3 of row b at step k, from z and the candidate hr: h̃ = hr ⊙ m_cand (cm: the mask
 * row, 0 for none), h_new, zoneout, padding (hp: the row of h_{k−1}); stores h_k and ĥ_{k+1}.
 */
export function finishState(
  ctx: usize,
  b: i32,
  k: i32,
  u: i32,
  z: v128,
  hr: v128,
  cm: usize,
  hp: usize,
): void {
  const one = f32x4.splat(1);
  const o = (<usize>u) << 2;
  const hh = cm != 0 ? f32x4.mul(hr, v128.load(cm + o)) : hr;
  const hprev = v128.load(hp + o);
  const hn = f32x4.add(f32x4.mul(z, hprev), f32x4.mul(f32x4.sub(one, z), hh));
  const padded = getp(ctx, F_SMASK) != 0;
  const m = padded ? stepMaskAt(ctx, b, k) : one;
  let h = ZoneoutPad.forward(ctx, F_ZH, hasZoneout(ctx, F_ZH), padded, m, k, b, u, hprev, hn);
  v128.store(stateRow(ctx, F_HS, b, k + 1) + o, h);
  const hh1 = nextHhatRow(ctx, b, k);
  if (hh1 != 0) {
    const rm = recMaskRow(ctx, k + 1, b); // ĥ_{k+1} = h_k ⊙ the mask of step k + 1
    if (rm != 0) h = f32x4.mul(h, v128.load(rm + o));
    v128.store(hh1 + o, h);
  }
}

/**
 * Backward of step k of row b, first part: the incoming dh split by padding and zoneout, ∂a_z and
 * ∂a_h, for reset-after also ∂a_r and the U-side gradient [∂a_z ∂a_r ∂a_h ⊙ r] (into PREU); the
 * carried dh. ∂a goes into the [B][T][NP] rows of field daField (plain: ACTS, in place;
 * normalised: DAR); with `pack` (plain) also into the packed panels: DAP (U side: z, r, u_h; reset-before: z, h) and
 * DAPX (x side of the h block, reset-after).
 */
export function gruCellBack(ctx: usize, b: i32, k: i32, after: bool, daField: i32, pack: bool): void {
  const HP = geti(ctx, F_HP);
  const act = geti(ctx, F_ACT),
    gact = geti(ctx, F_GACT);
  const BT = geti(ctx, F_B) * geti(ctx, F_T),
    row = b * geti(ctx, F_T) + k;
  const a = gateRow(ctx, F_ACTS, b, k),
    da = gateRow(ctx, daField, b, k);
  const pu = after ? gateRow(ctx, F_PREU, b, k) : 0;
  const cm = candMask(ctx, b, k);
  const hp = stateRow(ctx, F_HS, b, k);
  const ds = unitRow(ctx, F_DSEQ, b, k);
  const dhc = carryRow(ctx, F_DHC, b),
    dhh = carryRow(ctx, F_DHH, b);
  const rm = recMaskRow(ctx, k + 1, b); // dĥ_{k+1} (from step k + 1's GEMM) through its mask
  const dap = getp(ctx, F_DAP),
    dapx = getp(ctx, F_DAPX);
  const zh = hasZoneout(ctx, F_ZH);
  const norms = getp(ctx, F_GNH) != 0;
  let sqh = f32x4.splat(0);
  const one = f32x4.splat(1);
  const m = stepMaskAt(ctx, b, k);
  const g = (<usize>HP) << 2;
  for (let u = 0; u < HP; u += 4) {
    const o = (<usize>u) << 2;
    const dIn = incomingDh(ds, dhc, dhh, rm, o);
    if (norms) sqh = f32x4.add(sqh, f32x4.mul(dIn, dIn)); // ∂L/∂h_{k+1} complete here
    const dn = ZoneoutPad.backward(ctx, F_ZH, zh, m, k, b, u, dIn, dhc + o); // dh_k carried, → DHC
    const z = v128.load(a + o),
      r = v128.load(a + g + o),
      hr = v128.load(a + 2 * g + o);
    const mc = cm != 0 ? v128.load(cm + o) : one;
    const hprev = v128.load(hp + o);
    const daz = f32x4.mul(f32x4.mul(dn, f32x4.sub(hprev, f32x4.mul(hr, mc))), vdact(gact, z));
    const dah = f32x4.mul(f32x4.mul(f32x4.mul(dn, f32x4.sub(one, z)), mc), vdact(act, hr));
    v128.store(da + o, daz);
    v128.store(da + 2 * g + o, dah);
    if (pack) storePacked(dap, BT, row, u, daz);
    if (after) {
      const uh = v128.load(pu + 2 * g + o);
      const dar = f32x4.mul(f32x4.mul(dah, uh), vdact(gact, r));
      const duh = f32x4.mul(dah, r);
      v128.store(da + g + o, dar);
      v128.store(pu + o, daz);
      v128.store(pu + g + o, dar);
      v128.store(pu + 2 * g + o, duh);
      if (pack) {
        storePacked(dap, BT, row, HP + u, dar);
        storePacked(dap, BT, row, 2 * HP + u, duh);
        storePacked(dapx, BT, row, u, dah);
      }
    } else if (pack) {
      storePacked(dap, BT, row, 2 * HP + u, dah);
    }
    v128.store(dhc + o, f32x4.add(v128.load(dhc + o), f32x4.mul(dn, z)));
  }
  if (norms) storeNorms(ctx, b, k, sqh, sqh);
}

/**
 * Reset-before, second part of row b's backward at step k: ∂a_r = dq ⊙ ĥ ⊙ σ'(r) (into the row of
 * field daField, with `pack` also its panel of DAP) and the carried dh += dq ⊙ r ⊙ m_rec.
 */
export function gruCellBackReset(ctx: usize, b: i32, k: i32, daField: i32, pack: bool): void {
  const HP = geti(ctx, F_HP);
  const gact = geti(ctx, F_GACT);
  const BT = geti(ctx, F_B) * geti(ctx, F_T),
    row = b * geti(ctx, F_T) + k;
  const a = gateRow(ctx, F_ACTS, b, k),
    da = gateRow(ctx, daField, b, k);
  const hh = unitRow(ctx, F_HHAT, b, k);
  const dq = carryRow(ctx, F_DQ, b);
  const dhc = carryRow(ctx, F_DHC, b);
  const rm = recMaskRow(ctx, k, b);
  const g = (<usize>HP) << 2;
  for (let u = 0; u < HP; u += 4) {
    const o = (<usize>u) << 2;
    const r = v128.load(a + g + o);
    const q = v128.load(dq + o);
    const dar = f32x4.mul(f32x4.mul(q, v128.load(hh + o)), vdact(gact, r));
    v128.store(da + g + o, dar);
    if (pack) storePacked(getp(ctx, F_DAP), BT, row, HP + u, dar);
    let dh = f32x4.mul(q, r);
    if (rm != 0) dh = f32x4.mul(dh, v128.load(rm + o));
    v128.store(dhc + o, f32x4.add(v128.load(dhc + o), dh));
  }
}

/**
 * dU = Ĥᵀ·du from the DAP panels, share `part` of `parts` of the panels; reset-before the h block
 * is Qᵀ·∂(q·U_h) instead (q = r ⊙ ĥ).
 */
export function gruRecurrentWeightGrads(ctx: usize, part: i32, parts: i32, after: bool): void {
  const BT = geti(ctx, F_B) * geti(ctx, F_T),
    HP = geti(ctx, F_HP),
    NP = geti(ctx, F_NP);
  const dap = getp(ctx, F_DAP),
    hhat = getp(ctx, F_HHAT),
    du = getp(ctx, F_DU);
  const ld = (<usize>NP) << 2,
    hs = (<usize>HP) << 2;
  const P = NP >> 3,
    PH = HP >> 3;
  if (after) {
    gemm(
      HP,
      BT,
      hhat,
      4,
      hs,
      dap,
      BT,
      panelShare(P, part, parts),
      panelShare(P, part + 1, parts),
      du,
      ld,
      false,
    );
    return;
  }
  const p0 = panelShare(2 * PH, part, parts),
    p1 = panelShare(2 * PH, part + 1, parts);
  gemm(HP, BT, hhat, 4, hs, dap, BT, p0, p1, du, ld, false);
  const q0 = 2 * PH + panelShare(PH, part, parts),
    q1 = 2 * PH + panelShare(PH, part + 1, parts);
  gemm(HP, BT, getp(ctx, F_Q), 4, hs, dap, BT, q0, q1, du, ld, false);
}
