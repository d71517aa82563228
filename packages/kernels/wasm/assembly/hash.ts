/**
 * The seeded zoneout draw of src/fused/zoneout-hash.ts, four units at a time: element
 * n = (k·B + b)·H + j keeps (d = 1) iff (fmix32(key + n·0x9E3779B9) >>> 8) < threshold,
 * key = fmix32(seed). Returns the mask as f32x4 of 0/1.
 */

function vfmix32(z: v128): v128 {
  z = i32x4.mul(v128.xor(z, i32x4.shr_u(z, 16)), i32x4.splat(0x85ebca6b));
  z = i32x4.mul(v128.xor(z, i32x4.shr_u(z, 13)), i32x4.splat(0xc2b2ae35));
  return v128.xor(z, i32x4.shr_u(z, 16));
}

export function fmix32(x: u32): u32 {
  let z = x;
  z = (z ^ (z >>> 16)) * 0x85ebca6b;
  z = (z ^ (z >>> 13)) * 0xc2b2ae35;
  return z ^ (z >>> 16);
}

/** Keep mask of elements n0 .. n0 + 3. */
export function vzoneoutKeep(key: u32, n0: u32, threshold: i32): v128 {
  const n = i32x4.add(i32x4.splat(n0), i32x4(0, 1, 2, 3));
  const u = vfmix32(i32x4.add(i32x4.splat(key), i32x4.mul(n, i32x4.splat(0x9e3779b9))));
  const keep = i32x4.lt_s(i32x4.shr_u(u, 8), i32x4.splat(threshold));
  return v128.and(keep, f32x4.splat(1));
}
