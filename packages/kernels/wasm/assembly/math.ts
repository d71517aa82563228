/**
 * Element-wise math on f32x4: exp, the activations the fused ops accept (codes ACT_* of ./abi.ts,
 * generated from ACTIVATION_CODE of src/fused/abi.ts) and
 * their derivatives written in terms of the activation's OUTPUT y (what the forward pass saves).
 *
 * exp: Cephes' expf scheme (x = n·ln2 + r, degree-6 polynomial in r, 2ⁿ built in the exponent
 * bits), relative error ≈ 2 ulp on [−87, 88]. sigmoid(x) = 1/(1 + e^{−x});
 * tanh(x) = sign(x)·(1 − e^{−2|x|})/(1 + e^{−2|x|}) (absolute error ≈ 1e-7).
 */

import { ACT_HARD_SIGMOID, ACT_RELU, ACT_SIGMOID, ACT_TANH } from './abi';
export { ACT_SIGMOID, ACT_TANH };

export function vexp(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(-87.3)), f32x4.splat(88.3));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.442695041)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.1219444e-4)));
  let p = f32x4.splat(1.98756915e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  const y = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  const e = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(y, e);
}

export function vsigmoid(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, vexp(f32x4.neg(x))));
}

export function vtanh(x: v128): v128 {
  const one = f32x4.splat(1);
  const e = vexp(f32x4.mul(f32x4.abs(x), f32x4.splat(-2)));
  const t = f32x4.div(f32x4.sub(one, e), f32x4.add(one, e));
  // copy the sign of x onto t (t ≥ 0)
  return v128.or(t, v128.and(x, i32x4.splat(0x80000000)));
}

export function vact(code: i32, x: v128): v128 {
  if (code == ACT_SIGMOID) return vsigmoid(x);
  if (code == ACT_TANH) return vtanh(x);
  if (code == ACT_HARD_SIGMOID) {
    const y = f32x4.add(f32x4.mul(x, f32x4.splat(0.2)), f32x4.splat(0.5));
    return f32x4.min(f32x4.max(y, f32x4.splat(0)), f32x4.splat(1));
  }
  if (code == ACT_RELU) return f32x4.max(x, f32x4.splat(0));
  return x;
}

/**
 * The activation's derivative at the point where it output y. hardSigmoid: 0.2 strictly inside
 * (0, 1) (tfjs also passes the gradient at the clip boundaries, a measure-zero difference).
 */
export function vdact(code: i32, y: v128): v128 {
  const one = f32x4.splat(1);
  if (code == ACT_SIGMOID) return f32x4.mul(y, f32x4.sub(one, y));
  if (code == ACT_TANH) return f32x4.sub(one, f32x4.mul(y, y));
  const zero = f32x4.splat(0);
  if (code == ACT_HARD_SIGMOID) {
    const inside = v128.and(f32x4.gt(y, zero), f32x4.lt(y, one));
    return v128.and(inside, f32x4.splat(0.2));
  }
  if (code == ACT_RELU) return v128.and(f32x4.gt(y, zero), one);
  return one;
}
