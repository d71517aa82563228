/**
 * Pieces both recurrent cells share: pointer arithmetic, initial states, the carried gradients
 * and the packed store of da.
 */
import {
  geti,
  getp,
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

export function ptr4(base: usize, index: i32): usize {
  return base + ((<usize>index) << 2);
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
