/**
 * Zoneout (Krueger et al. 2017) and padded-step carry-over, the two state updates both cells share,
 * four units at a time, in the reference's arithmetic order:
 *   zoneout  s = d ⊙ s_prev + (1 − d) ⊙ s_new  (d: mask, seeded draw, or the rate at inference)
 *   padding  s = m ⊙ s + (1 − m) ⊙ s_prev      (m: the step mask of this example and step)
 */
import {
  getf,
  geti,
  getp,
  F_B,
  F_H,
  F_HP,
  Z_EXPECTATION,
  Z_MASK,
  Z_NONE,
  Z_SEEDED,
  ZF_KEY,
  ZF_MASK,
  ZF_MODE,
  ZF_RATE,
  ZF_THRESHOLD,
} from './ctx';
import { vzoneoutKeep } from './hash';

/** The keep weight d for units u..u+3 of example b at step k; zoneout field block at `f`. */
export function zoneoutKeep(ctx: usize, f: i32, k: i32, b: i32, u: i32): v128 {
  const mode = geti(ctx, f + ZF_MODE);
  if (mode == Z_MASK) {
    const B = geti(ctx, F_B),
      HP = geti(ctx, F_HP);
    return v128.load(getp(ctx, f + ZF_MASK) + ((<usize>((k * B + b) * HP + u)) << 2));
  }
  if (mode == Z_EXPECTATION) return f32x4.splat(getf(ctx, f + ZF_RATE));
  if (mode == Z_SEEDED) {
    const B = geti(ctx, F_B),
      H = geti(ctx, F_H);
    return vzoneoutKeep(<u32>geti(ctx, f + ZF_KEY), <u32>((k * B + b) * H + u), geti(ctx, f + ZF_THRESHOLD));
  }
  return f32x4.splat(0);
}

export function hasZoneout(ctx: usize, f: i32): bool {
  return geti(ctx, f + ZF_MODE) != Z_NONE;
}

/** d ⊙ prev + (1 − d) ⊙ next */
export function mix(d: v128, prev: v128, next: v128): v128 {
  return f32x4.add(f32x4.mul(d, prev), f32x4.mul(f32x4.sub(f32x4.splat(1), d), next));
}

/**
 * Zoneout and padding of one state, forward and backward, on four units at a time. Static methods,
 * so that they can be marked @inline (AssemblyScript inlines them into the cells' loops; a plain
 * function cannot carry a decorator that Prettier accepts); the class is never instantiated.
 */
export class ZoneoutPad {
  /**
   * The state after zoneout and padding, units u..u+3 of example b at step k (zoneout block at `f`,
   * applied when `zoned`; padding when `padded`, m the step mask splatted):
   *   s = pad(zoneout(prev, next)) = m ⊙ (d ⊙ prev + (1 − d) ⊙ next) + (1 − m) ⊙ prev
   */
  @inline static forward(
    ctx: usize,
    f: i32,
    zoned: bool,
    padded: bool,
    m: v128,
    k: i32,
    b: i32,
    u: i32,
    prev: v128,
    next: v128,
  ): v128 {
    let s = next;
    if (zoned) s = mix(zoneoutKeep(ctx, f, k, b, u), prev, s);
    if (padded) s = mix(m, s, prev);
    return s;
  }

  /**
   * The backward of forward for units u..u+3: D (dIn, the gradient at s) splits into the part
   * reaching `next`, returned, and the part reaching `prev`, stored at `carry` (m the step mask
   * splatted, 1 without padding; d the keep weight):
   *   ∂next = (1 − d) ⊙ m ⊙ D,  ∂prev = (1 − m) ⊙ D + d ⊙ m ⊙ D
   */
  @inline static backward(
    ctx: usize,
    f: i32,
    zoned: bool,
    m: v128,
    k: i32,
    b: i32,
    u: i32,
    dIn: v128,
    carry: usize,
  ): v128 {
    const one = f32x4.splat(1);
    const dz = f32x4.mul(m, dIn);
    const dp = f32x4.mul(f32x4.sub(one, m), dIn);
    if (!zoned) {
      v128.store(carry, dp);
      return dz;
    }
    const d = zoneoutKeep(ctx, f, k, b, u);
    v128.store(carry, f32x4.add(dp, f32x4.mul(d, dz)));
    return f32x4.mul(f32x4.sub(one, d), dz);
  }
}
