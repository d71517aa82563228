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

/**
 * The seeded per-step dropout mask of src/fused/dropout-hash.ts into out [T][B][HP]: element
 * n = (k·B + b)·H + j is 0 (dropped) iff (fmix32(key + n·0x9E3779B9) >>> 8) < threshold (the
 * zoneout draw above), else `scale` = fround(1/(1 − p)); the padding units j ≥ H are 0.
 */
export function dropoutFill(
  out: usize,
  key: u32,
  threshold: i32,
  scale: f32,
  T: i32,
  B: i32,
  H: i32,
  HP: i32,
): void {
  const keepV = f32x4.splat(scale);
  for (let r = 0; r < T * B; r++) {
    const row = out + ((<usize>(r * HP)) << 2);
    for (let u = 0; u < HP; u += 4) {
      const lane = i32x4.add(i32x4.splat(u), i32x4(0, 1, 2, 3));
      const n = i32x4.add(i32x4.splat(r * H), lane);
      const h = vfmix32(i32x4.add(i32x4.splat(key), i32x4.mul(n, i32x4.splat(0x9e3779b9))));
      const kept = v128.and(
        i32x4.ge_s(i32x4.shr_u(h, 8), i32x4.splat(threshold)),
        i32x4.lt_s(lane, i32x4.splat(H)),
      );
      v128.store(row + ((<usize>u) << 2), v128.and(kept, keepV));
    }
  }
}
