/**
 * The GEMM of every kernel: C[M, N] (=|+=) A[M, K] · Bp, with
 *   - A read through two byte strides (element (i, k) at a + i·rsA + k·csA), so the same kernel
 *     takes a row-major A, a transposed A (rsA = 4) or rows spread through a bigger buffer;
 *   - B packed in panels of NR = 8 columns: panel p is [K][8] contiguous (zero-padded past N), so
 *     one packing per call serves every time step (a K sub-range is a pointer offset);
 *   - C written in whole panels (its row stride ldc covers N rounded up to 8).
 * The register tile is 4 × 8 (8 accumulators, 2 B vectors, 1 broadcast: 11 of the 16 SIMD registers
 * V8 uses on x64); A elements are broadcast with v128.load32_splat (faster than splat(load)).
 * Rows left over (M mod 4) go through a 1 × 8 tile with the same per-element arithmetic, so the
 * result of a row never depends on how rows are split between threads.
 * With relaxed SIMD the multiply-add is fused (f32x4.relaxed_madd).
 */

export const NR: i32 = 8;
const KC: i32 = 256;

function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** One 4 × 8 tile over k in [0, kc). */
function tile4(kc: i32, a: usize, rsA: usize, csA: usize, b: usize, c: usize, ldc: usize, acc: bool): void {
  let c00 = f32x4.splat(0),
    c01 = f32x4.splat(0),
    c10 = f32x4.splat(0),
    c11 = f32x4.splat(0),
    c20 = f32x4.splat(0),
    c21 = f32x4.splat(0),
    c30 = f32x4.splat(0),
    c31 = f32x4.splat(0);
  let a0 = a,
    a1 = a + rsA,
    a2 = a + 2 * rsA,
    a3 = a + 3 * rsA;
  const end = b + ((<usize>kc) << 5);
  while (b < end) {
    const b0 = v128.load(b),
      b1 = v128.load(b, 16);
    let s = v128.load32_splat(a0);
    c00 = madd(s, b0, c00);
    c01 = madd(s, b1, c01);
    s = v128.load32_splat(a1);
    c10 = madd(s, b0, c10);
    c11 = madd(s, b1, c11);
    s = v128.load32_splat(a2);
    c20 = madd(s, b0, c20);
    c21 = madd(s, b1, c21);
    s = v128.load32_splat(a3);
    c30 = madd(s, b0, c30);
    c31 = madd(s, b1, c31);
    a0 += csA;
    a1 += csA;
    a2 += csA;
    a3 += csA;
    b += 32;
  }
  const r1 = c + ldc,
    r2 = c + 2 * ldc,
    r3 = c + 3 * ldc;
  if (acc) {
    c00 = f32x4.add(v128.load(c), c00);
    c01 = f32x4.add(v128.load(c, 16), c01);
    c10 = f32x4.add(v128.load(r1), c10);
    c11 = f32x4.add(v128.load(r1, 16), c11);
    c20 = f32x4.add(v128.load(r2), c20);
    c21 = f32x4.add(v128.load(r2, 16), c21);
    c30 = f32x4.add(v128.load(r3), c30);
    c31 = f32x4.add(v128.load(r3, 16), c31);
  }
  v128.store(c, c00);
  v128.store(c, c01, 16);
  v128.store(r1, c10);
  v128.store(r1, c11, 16);
  v128.store(r2, c20);
  v128.store(r2, c21, 16);
  v128.store(r3, c30);
  v128.store(r3, c31, 16);
}

/** One 1 × 8 tile (rows left over). */
function tile1(kc: i32, a: usize, csA: usize, b: usize, c: usize, acc: bool): void {
  let c0 = f32x4.splat(0),
    c1 = f32x4.splat(0);
  const end = b + ((<usize>kc) << 5);
  while (b < end) {
    const s = v128.load32_splat(a);
    c0 = madd(s, v128.load(b), c0);
    c1 = madd(s, v128.load(b, 16), c1);
    a += csA;
    b += 32;
  }
  if (acc) {
    c0 = f32x4.add(v128.load(c), c0);
    c1 = f32x4.add(v128.load(c, 16), c1);
  }
  v128.store(c, c0);
  v128.store(c, c1, 16);
}

/**
 * C (=|+=) A·Bp over the panels [p0, p1) of Bp (C columns 8·p0 ..). Byte strides and pointers.
 * Shapes: A [m, k] via (rsA, csA); Bp panels of [pk][8] floats (pk ≥ k: a K sub-range of a packed
 * matrix is an offset of bp), panel p at bp + p·pk·32 bytes; C rows ldc bytes.
 */
export function gemm(
  m: i32,
  k: i32,
  a: usize,
  rsA: usize,
  csA: usize,
  bp: usize,
  pk: i32,
  p0: i32,
  p1: i32,
  c: usize,
  ldc: usize,
  accumulate: bool,
): void {
  if (m <= 0 || p1 <= p0) return;
  if (k <= 0) {
    if (!accumulate) {
      for (let i = 0; i < m; i++)
        memory.fill(c + <usize>i * ldc + ((<usize>p0) << 5), 0, (<usize>(p1 - p0)) << 5);
    }
    return;
  }
  const panelBytes = (<usize>pk) << 5;
  const m4 = m & ~3;
  for (let k0 = 0; k0 < k; k0 += KC) {
    const kc = min(KC, k - k0);
    const acc = accumulate || k0 > 0;
    const ak = a + <usize>k0 * csA;
    for (let p = p0; p < p1; p++) {
      const b = bp + <usize>p * panelBytes + ((<usize>k0) << 5);
      const cp = c + ((<usize>p) << 5);
      for (let i = 0; i < m4; i += 4)
        tile4(kc, ak + <usize>i * rsA, rsA, csA, b, cp + <usize>i * ldc, ldc, acc);
      for (let i = m4; i < m; i++) tile1(kc, ak + <usize>i * rsA, csA, b, cp + <usize>i * ldc, acc);
    }
  }
}

/** Source index of packed index idx: identity below `limit`, or a gate-padded map (gate stride hp). */
function srcIndex(idx: i32, limit: i32, hp: i32, units: i32): i32 {
  if (hp == 0) return idx < limit ? idx : -1;
  const u = idx % hp;
  return u < units ? (idx / hp) * units + u : -1;
}

/**
 * Packs op(S) [k, n] into panels of 8 columns (panel stride dstK rows), zero-padded: element
 * (kk, j) of op(S) is read at s + src(kk)·rs + src(j)·cs (byte strides, so transposition is a
 * choice of strides). src is the identity below kValid / nValid, or, when kHp / nHp is nonzero,
 * the gate-padded map: padded index g = gate·hp + u reads gate·units + u and is zero for u ≥ units.
 */
export function packB(
  s: usize,
  rs: usize,
  cs: usize,
  k: i32,
  kValid: i32,
  kHp: i32,
  n: i32,
  nValid: i32,
  nHp: i32,
  units: i32,
  dst: usize,
  dstK: i32,
): void {
  const panels = (n + 7) >> 3;
  for (let p = 0; p < panels; p++) {
    const d0 = dst + ((<usize>p * <usize>dstK) << 5);
    for (let j = 0; j < 8; j++) {
      const col = srcIndex(p * 8 + j, min(n, nValid), nHp, units);
      let d = d0 + ((<usize>j) << 2);
      if (col < 0) {
        for (let kk = 0; kk < k; kk++) {
          store<f32>(d, 0);
          d += 32;
        }
        continue;
      }
      const sc = s + <usize>col * cs;
      // Walk the rows with a running (gate, unit) pair instead of dividing per element.
      let u = 0,
        base = 0;
      for (let kk = 0; kk < k; kk++) {
        const ok = kHp == 0 ? kk < kValid : u < units;
        const row = kHp == 0 ? kk : base + u;
        let v: f32 = 0;
        if (ok) v = load<f32>(sc + <usize>row * rs);
        store<f32>(d, v);
        d += 32;
        if (kHp != 0 && ++u == kHp) {
          u = 0;
          base += units;
        }
      }
    }
  }
}
