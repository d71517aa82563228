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
  F_CMASK,
  F_CSTEP,
  F_DAP,
  F_DAPX,
  F_DBREC,
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
  F_GNH,
  F_HHAT,
  F_HP,
  F_HS,
  F_NP,
  F_ONE,
  F_PREU,
  F_Q,
  F_RESET_AFTER,
  F_SMASK,
  F_T,
  F_UP,
  F_UTP,
  F_WP,
  F_WTP,
  F_XA,
  F_ZH,
} from './ctx';
import { gemm } from './gemm';
import { ACT_SIGMOID, ACT_TANH, vact, vdact, vsigmoid, vtanh } from './math';
import { finishDh, initCarry, initStates, ptr4, recMaskRow, storeNorms, storePacked } from './seq';
import { hasZoneout, mix, zoneoutKeep } from './zoneout';

export function candMask(ctx: usize, b: i32, k: i32): usize {
  const base = getp(ctx, F_CMASK);
  if (base == 0) return 0;
  const HP = geti(ctx, F_HP);
  return ptr4(base, (geti(ctx, F_CSTEP) != 0 ? k * geti(ctx, F_B) + b : b) * HP);
}

/** The update shared by both variants: h_new, zoneout, padding; stores h_k and ĥ_{k+1}. */
export function finishState(ctx: usize, b: i32, k: i32, u: i32, z: v128, hh: v128, hprev: v128): void {
  const T = geti(ctx, F_T),
    HP = geti(ctx, F_HP);
  const one = f32x4.splat(1);
  let h = f32x4.add(f32x4.mul(z, hprev), f32x4.mul(f32x4.sub(one, z), hh));
  if (hasZoneout(ctx, F_ZH)) h = mix(zoneoutKeep(ctx, F_ZH, k, b, u), hprev, h);
  const sm = getp(ctx, F_SMASK);
  if (sm != 0) h = mix(f32x4.splat(load<f32>(ptr4(sm, b * T + k))), h, hprev);
  v128.store(ptr4(getp(ctx, F_HS), (b * (T + 1) + k + 1) * HP + u), h);
  if (k + 1 < T) {
    const rm = recMaskRow(ctx, k + 1, b); // ĥ_{k+1} = h_k ⊙ the mask of step k + 1
    if (rm != 0) h = f32x4.mul(h, v128.load(ptr4(rm, u)));
    v128.store(ptr4(getp(ctx, F_HHAT), (b * T + k + 1) * HP + u), h);
  }
}

function cellAfter(ctx: usize, b: i32, k: i32): void {
  const T = geti(ctx, F_T),
    HP = geti(ctx, F_HP),
    NP = geti(ctx, F_NP);
  const act = geti(ctx, F_ACT),
    gact = geti(ctx, F_GACT);
  const gs = gact == ACT_SIGMOID,
    ts = act == ACT_TANH; // the common case, inlined
  const a = ptr4(getp(ctx, F_ACTS), (b * T + k) * NP);
  const pu = ptr4(getp(ctx, F_PREU), (b * T + k) * NP);
  const br = getp(ctx, F_BREC);
  const cm = candMask(ctx, b, k);
  const hp = ptr4(getp(ctx, F_HS), (b * (T + 1) + k) * HP);
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
    const hh = cm != 0 ? f32x4.mul(hr, v128.load(cm + o)) : hr;
    finishState(ctx, b, k, u, z, hh, v128.load(hp + o));
  }
}

/** Reset-before, first half: z, r and q = r ⊙ ĥ. */
function cellBefore1(ctx: usize, b: i32, k: i32): void {
  const T = geti(ctx, F_T),
    HP = geti(ctx, F_HP),
    NP = geti(ctx, F_NP);
  const gact = geti(ctx, F_GACT);
  const gs = gact == ACT_SIGMOID;
  const a = ptr4(getp(ctx, F_ACTS), (b * T + k) * NP);
  const hh = ptr4(getp(ctx, F_HHAT), (b * T + k) * HP);
  const q = ptr4(getp(ctx, F_Q), (b * T + k) * HP);
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
  const T = geti(ctx, F_T),
    HP = geti(ctx, F_HP),
    NP = geti(ctx, F_NP);
  const act = geti(ctx, F_ACT);
  const ts = act == ACT_TANH;
  const a = ptr4(getp(ctx, F_ACTS), (b * T + k) * NP);
  const cm = candMask(ctx, b, k);
  const hp = ptr4(getp(ctx, F_HS), (b * (T + 1) + k) * HP);
  const g = (<usize>HP) << 2;
  for (let u = 0; u < HP; u += 4) {
    const o = (<usize>u) << 2;
    const hrIn = v128.load(a + 2 * g + o);
    const hr = ts ? vtanh(hrIn) : vact(act, hrIn);
    v128.store(a + 2 * g + o, hr);
    const hh = cm != 0 ? f32x4.mul(hr, v128.load(cm + o)) : hr;
    finishState(ctx, b, k, u, v128.load(a + o), hh, v128.load(hp + o));
  }
}

export function gruForward(ctx: usize, r0: i32, r1: i32): void {
  if (r1 <= r0) return;
  const T = geti(ctx, F_T),
    HP = geti(ctx, F_HP),
    NP = geti(ctx, F_NP),
    DX = geti(ctx, F_DX);
  const rows = r1 - r0;
  const acts = getp(ctx, F_ACTS),
    up = getp(ctx, F_UP),
    hhat = getp(ctx, F_HHAT);
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
  initStates(ctx, r0, r1, false);
  const ldA = (<usize>(T * HP)) << 2,
    ldC = (<usize>(T * NP)) << 2;
  for (let k = 0; k < T; k++) {
    const aRow = ptr4(hhat, (r0 * T + k) * HP);
    const cRow = (r0 * T + k) * NP;
    if (after) {
      gemm(rows, HP, aRow, ldA, 4, up, HP, 0, NP >> 3, ptr4(getp(ctx, F_PREU), cRow), ldC, false);
      for (let b = r0; b < r1; b++) cellAfter(ctx, b, k);
    } else {
      gemm(rows, HP, aRow, ldA, 4, up, HP, 0, (2 * HP) >> 3, ptr4(acts, cRow), ldC, true);
      for (let b = r0; b < r1; b++) cellBefore1(ctx, b, k);
      const qRow = ptr4(getp(ctx, F_Q), (r0 * T + k) * HP);
      gemm(rows, HP, qRow, ldA, 4, up, HP, (2 * HP) >> 3, (3 * HP) >> 3, ptr4(acts, cRow), ldC, true);
      for (let b = r0; b < r1; b++) cellBefore2(ctx, b, k);
    }
  }
}

/**
 * Backward of one step, first part: from the incoming dh to da_h and da_z (both variants), and,
 * for reset-after, da_r and du. Stores x-side da in ACTS, U-side du in PREU (reset-after), the
 * packed copies, and the carried dh.
 */
function cellBack1(ctx: usize, b: i32, k: i32, after: bool): void {
  const B = geti(ctx, F_B),
    T = geti(ctx, F_T),
    HP = geti(ctx, F_HP),
    NP = geti(ctx, F_NP);
  const act = geti(ctx, F_ACT),
    gact = geti(ctx, F_GACT);
  const BT = B * T,
    row = b * T + k;
  const a = ptr4(getp(ctx, F_ACTS), row * NP);
  const pu = after ? ptr4(getp(ctx, F_PREU), row * NP) : 0;
  const cm = candMask(ctx, b, k);
  const hp = ptr4(getp(ctx, F_HS), (b * (T + 1) + k) * HP);
  const ds = ptr4(getp(ctx, F_DSEQ), row * HP);
  const dhc = ptr4(getp(ctx, F_DHC), b * HP),
    dhh = ptr4(getp(ctx, F_DHH), b * HP);
  const rm = recMaskRow(ctx, k + 1, b), // dĥ_{k+1} (from step k + 1's GEMM) through its mask
    sm = getp(ctx, F_SMASK);
  const dap = getp(ctx, F_DAP),
    dapx = getp(ctx, F_DAPX);
  const zh = hasZoneout(ctx, F_ZH);
  const norms = getp(ctx, F_GNH) != 0;
  let sqh = f32x4.splat(0);
  const one = f32x4.splat(1);
  const s = sm != 0 ? f32x4.splat(load<f32>(ptr4(sm, b * T + k))) : one;
  const g = (<usize>HP) << 2;
  for (let u = 0; u < HP; u += 4) {
    const o = (<usize>u) << 2;
    let dr = v128.load(dhh + o);
    if (rm != 0) dr = f32x4.mul(dr, v128.load(rm + o));
    const dIn = f32x4.add(f32x4.add(v128.load(ds + o), v128.load(dhc + o)), dr);
    if (norms) sqh = f32x4.add(sqh, f32x4.mul(dIn, dIn)); // ∂L/∂h_{k+1} complete here
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
    const hh = f32x4.mul(hr, mc);
    const hprev = v128.load(hp + o);
    const daz = f32x4.mul(f32x4.mul(dn, f32x4.sub(hprev, hh)), vdact(gact, z));
    dhp = f32x4.add(dhp, f32x4.mul(dn, z));
    const dah = f32x4.mul(f32x4.mul(f32x4.mul(dn, f32x4.sub(one, z)), mc), vdact(act, hr));
    v128.store(a + o, daz);
    v128.store(a + 2 * g + o, dah);
    storePacked(dap, BT, row, u, daz);
    if (after) {
      const uh = v128.load(pu + 2 * g + o);
      const dar = f32x4.mul(f32x4.mul(dah, uh), vdact(gact, r));
      const duh = f32x4.mul(dah, r);
      v128.store(a + g + o, dar);
      v128.store(pu + o, daz);
      v128.store(pu + g + o, dar);
      v128.store(pu + 2 * g + o, duh);
      storePacked(dap, BT, row, HP + u, dar);
      storePacked(dap, BT, row, 2 * HP + u, duh);
      storePacked(dapx, BT, row, u, dah);
    } else {
      storePacked(dap, BT, row, 2 * HP + u, dah);
    }
    v128.store(dhc + o, dhp);
  }
  if (norms) storeNorms(ctx, b, k, sqh, sqh);
}

/** Reset-before, second part: da_r = dq ⊙ ĥ ⊙ σ'(r) and the carried dh += dq ⊙ r ⊙ m_rec. */
function cellBack2(ctx: usize, b: i32, k: i32): void {
  const B = geti(ctx, F_B),
    T = geti(ctx, F_T),
    HP = geti(ctx, F_HP),
    NP = geti(ctx, F_NP);
  const gact = geti(ctx, F_GACT);
  const row = b * T + k;
  const a = ptr4(getp(ctx, F_ACTS), row * NP);
  const hh = ptr4(getp(ctx, F_HHAT), row * HP);
  const dq = ptr4(getp(ctx, F_DQ), b * HP);
  const dhc = ptr4(getp(ctx, F_DHC), b * HP);
  const rm = recMaskRow(ctx, k, b);
  const g = (<usize>HP) << 2;
  for (let u = 0; u < HP; u += 4) {
    const o = (<usize>u) << 2;
    const r = v128.load(a + g + o);
    const q = v128.load(dq + o);
    const dar = f32x4.mul(f32x4.mul(q, v128.load(hh + o)), vdact(gact, r));
    v128.store(a + g + o, dar);
    storePacked(getp(ctx, F_DAP), B * T, row, HP + u, dar);
    let dh = f32x4.mul(q, r);
    if (rm != 0) dh = f32x4.mul(dh, v128.load(rm + o));
    v128.store(dhc + o, f32x4.add(v128.load(dhc + o), dh));
  }
}

export function gruBackward(ctx: usize, r0: i32, r1: i32): void {
  if (r1 <= r0) return;
  const T = geti(ctx, F_T),
    HP = geti(ctx, F_HP),
    NP = geti(ctx, F_NP),
    DP = geti(ctx, F_DP);
  const rows = r1 - r0;
  const acts = getp(ctx, F_ACTS),
    utp = getp(ctx, F_UTP);
  const after = geti(ctx, F_RESET_AFTER) != 0;
  const dhh = ptr4(getp(ctx, F_DHH), r0 * HP);
  const ldA = (<usize>(T * NP)) << 2,
    ldC = (<usize>HP) << 2;
  initCarry(ctx, r0, r1, false);
  for (let k = T - 1; k >= 0; k--) {
    for (let b = r0; b < r1; b++) cellBack1(ctx, b, k, after);
    const aRow = (r0 * T + k) * NP;
    if (after) {
      gemm(rows, NP, ptr4(getp(ctx, F_PREU), aRow), ldA, 4, utp, NP, 0, HP >> 3, dhh, ldC, false);
    } else {
      // dq = da_h·U_hᵀ (K rows 2HP.. of the packed Uᵀ), then da_r, then dĥ = [da_z, da_r]·U_zrᵀ
      const dq = ptr4(getp(ctx, F_DQ), r0 * HP);
      gemm(
        rows,
        HP,
        ptr4(acts, aRow + 2 * HP),
        ldA,
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
      gemm(rows, 2 * HP, ptr4(acts, aRow), ldA, 4, utp, NP, 0, HP >> 3, dhh, ldC, false);
    }
  }
  finishDh(ctx, r0, r1);
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

/** Panels [p0, p1) of `panels` for share `part` of `parts`. */
function share(panels: i32, part: i32, parts: i32): i32 {
  return (panels * part) / parts;
}

/** Weight gradients, share `part` of `parts` of the panels of each product. */
export function gruWeightGrads(ctx: usize, part: i32, parts: i32): void {
  const BT = geti(ctx, F_B) * geti(ctx, F_T),
    HP = geti(ctx, F_HP),
    NP = geti(ctx, F_NP),
    DX = geti(ctx, F_DX);
  const dap = getp(ctx, F_DAP),
    xa = getp(ctx, F_XA),
    hhat = getp(ctx, F_HHAT);
  const dw = getp(ctx, F_DW),
    du = getp(ctx, F_DU);
  const ld = (<usize>NP) << 2;
  const P = NP >> 3,
    PH = HP >> 3;
  const xs = (<usize>DX) << 2,
    hs = (<usize>HP) << 2;
  if (geti(ctx, F_RESET_AFTER) != 0) {
    // dW: z, r panels from the U-side da (equal there), the h block from the x-side panels
    gemm(
      DX,
      BT,
      xa,
      4,
      xs,
      dap,
      BT,
      share(2 * PH, part, parts),
      share(2 * PH, part + 1, parts),
      dw,
      ld,
      false,
    );
    gemm(
      DX,
      BT,
      xa,
      4,
      xs,
      getp(ctx, F_DAPX),
      BT,
      share(PH, part, parts),
      share(PH, part + 1, parts),
      dw + 2 * hs,
      ld,
      false,
    );
    gemm(HP, BT, hhat, 4, hs, dap, BT, share(P, part, parts), share(P, part + 1, parts), du, ld, false);
    // db_rec = 1ᵀ·du: an A operand of stride 0 on the context's 1.0
    const one = ctx + ((<usize>F_ONE) << 2);
    gemm(
      1,
      BT,
      one,
      0,
      0,
      dap,
      BT,
      share(P, part, parts),
      share(P, part + 1, parts),
      getp(ctx, F_DBREC),
      ld,
      false,
    );
  } else {
    gemm(DX, BT, xa, 4, xs, dap, BT, share(P, part, parts), share(P, part + 1, parts), dw, ld, false);
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
