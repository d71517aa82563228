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
  F_RMASK,
  F_T,
} from './ctx';

export function ptr4(base: usize, index: i32): usize {
  return base + ((<usize>index) << 2);
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
