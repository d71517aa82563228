/**
 * Pieces both recurrent cells (plain and normalised) share: pointer arithmetic, the masks' rows,
 * initial states, the carried gradients, the packed store of da and the products of a sequence
 * with W, U and their transposes.
 */
import {
  geti,
  getp,
  F_ACTS,
  F_CMASK,
  F_CSTEP,
  F_DHH,
  F_DP,
  F_DX,
  F_DXO,
  F_NP,
  F_SMASK,
  F_UP,
  F_UTP,
  F_WP,
  F_WTP,
  F_XA,
  F_DHC,
  F_DCC,
  F_DHH,
  F_DHT,
  F_DCT,
  F_C0,
  F_CS,
  F_H0,
  F_HHAT,
  F_HP,
  F_HS,
  F_B,
  F_GNC,
  F_GNH,
  F_RMASK,
  F_RSTEP,
  F_T,
} from './ctx';
import { gemm } from './gemm';

export function ptr4(base: usize, index: i32): usize {
  return base + ((<usize>index) << 2);
}

/** Row (b, k) of the [B][T][NP] sequence in field f (ACTS, PREU, DAR). */
export function gateRow(ctx: usize, f: i32, b: i32, k: i32): usize {
  return ptr4(getp(ctx, f), (b * geti(ctx, F_T) + k) * geti(ctx, F_NP));
}

/** Row (b, k) of the [B][T][HP] sequence in field f (YS, HHAT, Q, DSEQ, NC, DNC). */
export function unitRow(ctx: usize, f: i32, b: i32, k: i32): usize {
  return ptr4(getp(ctx, f), (b * geti(ctx, F_T) + k) * geti(ctx, F_HP));
}

/** Slot k of row b of the [B][T + 1][HP] states in field f (HS, CS): the state step k starts from. */
export function stateRow(ctx: usize, f: i32, b: i32, k: i32): usize {
  return ptr4(getp(ctx, f), (b * (geti(ctx, F_T) + 1) + k) * geti(ctx, F_HP));
}

/** Row b of Ĥ for step k + 1 (where step k stores ĥ_{k+1} = h_k ⊙ m_rec), 0 after the last step. */
export function nextHhatRow(ctx: usize, b: i32, k: i32): usize {
  return k + 1 < geti(ctx, F_T) ? unitRow(ctx, F_HHAT, b, k + 1) : 0;
}

/** Row b of the [B][HP] buffer in field f (DHC, DCC, DHH, DQ). */
export function carryRow(ctx: usize, f: i32, b: i32): usize {
  return ptr4(getp(ctx, f), b * geti(ctx, F_HP));
}

/**
 * Row b of the Gal mask of step k: [B][HP] per sequence, or step k of [T][B][HP] (RSTEP); 0 when
 * there is none or step k does not exist (k = T: the state after the last step enters no step).
 */
export function recMaskRow(ctx: usize, k: i32, b: i32): usize {
  const rm = getp(ctx, F_RMASK);
  if (rm == 0) return 0;
  if (geti(ctx, F_RSTEP) == 0) return ptr4(rm, b * geti(ctx, F_HP));
  const T = geti(ctx, F_T);
  return k < T ? ptr4(rm, (k * geti(ctx, F_B) + b) * geti(ctx, F_HP)) : 0;
}

/** Row b of the Semeniuta (candidate) mask of step k: [B][HP] per sequence or [T][B][HP] (CSTEP); 0 when none. */
export function candMask(ctx: usize, b: i32, k: i32): usize {
  const base = getp(ctx, F_CMASK);
  if (base == 0) return 0;
  const HP = geti(ctx, F_HP);
  return ptr4(base, (geti(ctx, F_CSTEP) != 0 ? k * geti(ctx, F_B) + b : b) * HP);
}

/** The padding mask m of example b at step k, splatted; 1 without padding. */
export function stepMaskAt(ctx: usize, b: i32, k: i32): v128 {
  const sm = getp(ctx, F_SMASK);
  return sm != 0 ? f32x4.splat(load<f32>(ptr4(sm, b * geti(ctx, F_T) + k))) : f32x4.splat(1);
}

/**
 * D = ∂L/∂s_k of units o4/4.. of one row, complete: the sequence's own gradient ds, the carried dhc,
 * and the recurrent product's dĥ_{k+1} (dhh) through its Gal mask row rm (0: none).
 */
export function incomingDh(ds: usize, dhc: usize, dhh: usize, rm: usize, o4: usize): v128 {
  let dr = v128.load(dhh + o4);
  if (rm != 0) dr = f32x4.mul(dr, v128.load(rm + o4));
  return f32x4.add(f32x4.add(v128.load(ds + o4), v128.load(dhc + o4)), dr);
}

/** Σ of the four lanes, in a fixed order. */
export function hsum(v: v128): f32 {
  return (
    f32x4.extract_lane(v, 0) +
    f32x4.extract_lane(v, 1) +
    (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3))
  );
}

/**
 * With stateGradientNorms: stores ‖∂L/∂h_{k+1}[b]‖ (and ‖∂L/∂c_{k+1}[b]‖ for the LSTM) from the
 * lane sums of squares the backward cell accumulated, at [b][k] of GNH (GNC).
 */
export function storeNorms(ctx: usize, b: i32, k: i32, sqh: v128, sqc: v128): void {
  const T = geti(ctx, F_T);
  store<f32>(ptr4(getp(ctx, F_GNH), b * T + k), sqrt<f32>(hsum(sqh)));
  const gc = getp(ctx, F_GNC);
  if (gc != 0) store<f32>(ptr4(gc, b * T + k), sqrt<f32>(hsum(sqc)));
}

/** Copies the initial states of rows [r0, r1) into the state sequences and ĥ_0 = h0 ⊙ m_rec. */
export function initStates(ctx: usize, r0: i32, r1: i32, withCell: bool): void {
  const T = geti(ctx, F_T),
    HP = geti(ctx, F_HP);
  const rm = getp(ctx, F_RMASK);
  const rowBytes = (<usize>HP) << 2;
  for (let b = r0; b < r1; b++) {
    const h0 = ptr4(getp(ctx, F_H0), b * HP);
    memory.copy(ptr4(getp(ctx, F_HS), b * (T + 1) * HP), h0, rowBytes);
    if (withCell)
      memory.copy(ptr4(getp(ctx, F_CS), b * (T + 1) * HP), ptr4(getp(ctx, F_C0), b * HP), rowBytes);
    if (T == 0) continue;
    const hh = ptr4(getp(ctx, F_HHAT), b * T * HP);
    for (let u = 0; u < HP; u += 4) {
      let v = v128.load(h0 + ((<usize>u) << 2));
      if (rm != 0) v = f32x4.mul(v, v128.load(ptr4(rm, b * HP + u)));
      v128.store(hh + ((<usize>u) << 2), v);
    }
  }
}

/** Stores da (4 units of one gate column) into the packed panels, row (b, k). */
export function storePacked(dap: usize, BT: i32, row: i32, col: i32, v: v128): void {
  v128.store(dap + ((<usize>(col >> 3) * <usize>BT + <usize>row) << 5) + ((<usize>(col & 7)) << 2), v);
}

/** dh0 = carried dh + dĥ ⊙ m_rec for rows [r0, r1) (after step 0). */
export function finishDh(ctx: usize, r0: i32, r1: i32): void {
  const HP = geti(ctx, F_HP);
  const rm = getp(ctx, F_RMASK);
  for (let b = r0; b < r1; b++) {
    const dhc = ptr4(getp(ctx, F_DHC), b * HP),
      dhh = ptr4(getp(ctx, F_DHH), b * HP);
    for (let u = 0; u < HP; u += 4) {
      const o4 = (<usize>u) << 2;
      let dr = v128.load(dhh + o4);
      if (rm != 0) dr = f32x4.mul(dr, v128.load(ptr4(rm, b * HP + u)));
      v128.store(dhc + o4, f32x4.add(v128.load(dhc + o4), dr));
    }
  }
}

/** Seeds the carried gradients of rows [r0, r1) with the gradients of the last h and c. */
export function initCarry(ctx: usize, r0: i32, r1: i32, withCell: bool): void {
  const HP = geti(ctx, F_HP);
  const bytes = (<usize>((r1 - r0) * HP)) << 2;
  const off = (<usize>(r0 * HP)) << 2;
  memory.copy(getp(ctx, F_DHC) + off, getp(ctx, F_DHT) + off, bytes);
  if (withCell) memory.copy(getp(ctx, F_DCC) + off, getp(ctx, F_DCT) + off, bytes);
  memory.fill(getp(ctx, F_DHH) + off, 0, bytes);
}

/** Panel p0 of share `part` of `parts` of `panels` panels (the share ends at part + 1's p0). */
export function panelShare(panels: i32, part: i32, parts: i32): i32 {
  return (panels * part) / parts;
}

/** Before the recurrence over rows [r0, r1): the input GEMM and the initial states (c too `withCell`). */
export function beginForward(ctx: usize, r0: i32, r1: i32, withCell: bool): void {
  inputProjection(ctx, r0, r1);
  initStates(ctx, r0, r1, withCell);
}

/** After the backward loop over rows [r0, r1): dh0 and dx. */
export function endBackward(ctx: usize, r0: i32, r1: i32): void {
  finishDh(ctx, r0, r1);
  inputGradient(ctx, r0, r1);
}

/** ACTS rows (b, k) of rows [r0, r1), every step, = [x_k, 1]·W (bias in W's last row): the input GEMM. */
export function inputProjection(ctx: usize, r0: i32, r1: i32): void {
  const T = geti(ctx, F_T),
    NP = geti(ctx, F_NP),
    DX = geti(ctx, F_DX);
  gemm(
    (r1 - r0) * T,
    DX,
    ptr4(getp(ctx, F_XA), r0 * T * DX),
    (<usize>DX) << 2,
    4,
    getp(ctx, F_WP),
    DX,
    0,
    NP >> 3,
    ptr4(getp(ctx, F_ACTS), r0 * T * NP),
    (<usize>NP) << 2,
    false,
  );
}

/** dx of rows [r0, r1), every step, = ∂(x·W)·Wᵀ from ACTS (where the backward left ∂(x·W)). */
export function inputGradient(ctx: usize, r0: i32, r1: i32): void {
  const T = geti(ctx, F_T),
    NP = geti(ctx, F_NP),
    DP = geti(ctx, F_DP);
  gemm(
    (r1 - r0) * T,
    NP,
    ptr4(getp(ctx, F_ACTS), r0 * T * NP),
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
 * C (=|+= when `accumulate`) A_k·U over U's panels [p0, p1), rows [r0, r1): A_k the step-k rows
 * of a [B][T][HP] sequence at `seq` (Ĥ, or the GRU's Q), C rows `ldC` bytes apart from `c`.
 */
export function timesU(
  ctx: usize,
  seq: usize,
  r0: i32,
  r1: i32,
  k: i32,
  p0: i32,
  p1: i32,
  c: usize,
  ldC: usize,
  accumulate: bool,
): void {
  const T = geti(ctx, F_T),
    HP = geti(ctx, F_HP);
  gemm(
    r1 - r0,
    HP,
    ptr4(seq, (r0 * T + k) * HP),
    (<usize>(T * HP)) << 2,
    4,
    getp(ctx, F_UP),
    HP,
    p0,
    p1,
    c,
    ldC,
    accumulate,
  );
}

/**
 * out rows [r0, r1) (HP wide) = A_k·(Uᵀ rows [kFirst, kFirst + K)): A_k the step-k rows, from
 * column kFirst, of a [B][T][NP] gradient at `seq` (ACTS, PREU); out DHH (dĥ) or DQ.
 */
export function timesUT(
  ctx: usize,
  seq: usize,
  r0: i32,
  r1: i32,
  k: i32,
  kFirst: i32,
  K: i32,
  out: usize,
): void {
  const T = geti(ctx, F_T),
    HP = geti(ctx, F_HP),
    NP = geti(ctx, F_NP);
  gemm(
    r1 - r0,
    K,
    ptr4(seq, (r0 * T + k) * NP + kFirst),
    (<usize>(T * NP)) << 2,
    4,
    ptr4(getp(ctx, F_UTP), kFirst * 8),
    NP,
    0,
    HP >> 3,
    ptr4(out, r0 * HP),
    (<usize>HP) << 2,
    false,
  );
}

/** dĥ_k rows [r0, r1) (→ DHH) = ∂(ĥ·U)_k·Uᵀ, ∂(ĥ·U) in `seq` ([B][T][NP]). */
export function recurrentGradient(ctx: usize, seq: usize, r0: i32, r1: i32, k: i32): void {
  timesUT(ctx, seq, r0, r1, k, 0, geti(ctx, F_NP), getp(ctx, F_DHH));
}
