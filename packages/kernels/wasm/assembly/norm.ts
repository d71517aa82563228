/**
 * Layer norm (Ba et al. 2016) and recurrent batch norm (Cooijmans et al. 2017) inside the cells,
 * the arithmetic the normalised LSTM and GRU share (design: NORM_KIND of src/fused/abi.ts;
 * semantics: core's recurrent/step-normalization.ts). One quantity v (x·W, ĥ·U or the LSTM's c̃)
 * is a row of blocks of HP floats, H of them real units (the padding is 0 and stays 0):
 *
 *   N(v) = γ ⊙ x̂ (+ β),  x̂ = (v − μ)·rstd,  rstd = 1/√(σ² + ε), σ² biased
 *   layer: μ, σ² over the real units of a group of blocks of one row (one example)
 *   batch: μ, σ² per feature over the B rows of processing step k (training: returned per step;
 *          inference: the moving row min(k, NMAX − 1))
 * Backward, with g = ∂N(v) ⊙ γ over the n values that share a statistic:
 *   ∂v = rstd·(g − mean(g) − x̂·mean(g ⊙ x̂))  (layer; batch training);  ∂v = rstd·g (batch inference)
 * ∂γ = Σ ∂N(v) ⊙ x̂ and ∂β = Σ ∂N(v) are column sums over every row (normColumnSums), in one
 * fixed order, so no result depends on how rows are split between threads. Sums are f32, 4 lanes
 * at a time, the lanes added ((l0 + l1) + (l2 + l3)).
 */

/** All-ones lanes below `rem` (rem ≥ 4: every lane). */
function laneMask(rem: i32): v128 {
  return i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(rem));
}

function hsum(v: v128): f32 {
  return (
    f32x4.extract_lane(v, 0) +
    f32x4.extract_lane(v, 1) +
    (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3))
  );
}

function at(p: usize, i: i32): usize {
  return p + ((<usize>i) << 2);
}

/**
 * Layer norm of blocks [g0, g1) of one row `v` (blocks HP apart), in groups of `group` blocks:
 * x̂ → xh (same layout; padding 0), each block's rstd → rs[g] (blocks of one group repeat it).
 */
export function lnForward(
  v: usize,
  xh: usize,
  rs: usize,
  g0: i32,
  g1: i32,
  group: i32,
  H: i32,
  HP: i32,
  eps: f32,
): void {
  for (let s = g0; s < g1; s += group) {
    const e = s + group;
    const n = <f32>(group * H);
    let acc = f32x4.splat(0);
    for (let g = s; g < e; g++) {
      const base = at(v, g * HP);
      for (let u = 0; u < H; u += 4) acc = f32x4.add(acc, v128.and(v128.load(at(base, u)), laneMask(H - u)));
    }
    const mean = hsum(acc) / n;
    const m = f32x4.splat(mean);
    acc = f32x4.splat(0);
    for (let g = s; g < e; g++) {
      const base = at(v, g * HP);
      for (let u = 0; u < H; u += 4) {
        const d = v128.and(f32x4.sub(v128.load(at(base, u)), m), laneMask(H - u));
        acc = f32x4.add(acc, f32x4.mul(d, d));
      }
    }
    const r = <f32>1 / Mathf.sqrt(hsum(acc) / n + eps);
    const rv = f32x4.splat(r);
    for (let g = s; g < e; g++) {
      store<f32>(at(rs, g), r);
      const src = at(v, g * HP),
        dst = at(xh, g * HP);
      for (let u = 0; u < HP; u += 4) {
        const x = f32x4.mul(f32x4.sub(v128.load(at(src, u)), m), rv);
        v128.store(at(dst, u), v128.and(x, laneMask(H - u)));
      }
    }
  }
}

/**
 * The layer-norm backward of blocks [g0, g1) of one row in groups of `group`: dy the gradient at
 * N(v), gamma γ, xh x̂, rs the blocks' rstd → dv (may alias dy).
 */
export function lnBackward(
  dy: usize,
  gamma: usize,
  xh: usize,
  rs: usize,
  dv: usize,
  g0: i32,
  g1: i32,
  group: i32,
  H: i32,
  HP: i32,
): void {
  for (let s = g0; s < g1; s += group) {
    const e = s + group;
    const n = <f32>(group * H);
    let sg = f32x4.splat(0),
      sgx = f32x4.splat(0);
    for (let g = s; g < e; g++) {
      for (let u = 0; u < H; u += 4) {
        const o = g * HP + u;
        const gv = v128.and(f32x4.mul(v128.load(at(dy, o)), v128.load(at(gamma, o))), laneMask(H - u));
        sg = f32x4.add(sg, gv);
        sgx = f32x4.add(sgx, f32x4.mul(gv, v128.load(at(xh, o))));
      }
    }
    const mg = f32x4.splat(hsum(sg) / n),
      mgx = f32x4.splat(hsum(sgx) / n);
    for (let g = s; g < e; g++) {
      const r = f32x4.splat(load<f32>(at(rs, g)));
      for (let u = 0; u < HP; u += 4) {
        const o = g * HP + u;
        const gv = f32x4.mul(v128.load(at(dy, o)), v128.load(at(gamma, o)));
        const d = f32x4.mul(r, f32x4.sub(f32x4.sub(gv, mg), f32x4.mul(v128.load(at(xh, o)), mgx)));
        v128.store(at(dv, o), v128.and(d, laneMask(H - u)));
      }
    }
  }
}

/**
 * Batch norm of one processing step: `rows` rows of W floats (v rows vStride bytes apart, x̂ rows
 * xStride apart). Training: per-column mean and biased variance → sm, sv (this step's row of the
 * returned statistics); inference: read from sm, sv (the moving row). rstd → rs; x̂ → xh.
 */
export function bnForward(
  v: usize,
  vStride: usize,
  xh: usize,
  xStride: usize,
  rows: i32,
  W: i32,
  sm: usize,
  sv: usize,
  rs: usize,
  training: bool,
  eps: f32,
): void {
  const inv = f32x4.splat(<f32>1 / <f32>rows);
  const one = f32x4.splat(1);
  for (let c = 0; c < W; c += 4) {
    const o = (<usize>c) << 2;
    let mean: v128, variance: v128;
    if (training) {
      let acc = f32x4.splat(0);
      for (let b = 0; b < rows; b++) acc = f32x4.add(acc, v128.load(v + <usize>b * vStride + o));
      mean = f32x4.mul(acc, inv);
      acc = f32x4.splat(0);
      for (let b = 0; b < rows; b++) {
        const d = f32x4.sub(v128.load(v + <usize>b * vStride + o), mean);
        acc = f32x4.add(acc, f32x4.mul(d, d));
      }
      variance = f32x4.mul(acc, inv);
      v128.store(sm + o, mean);
      v128.store(sv + o, variance);
    } else {
      mean = v128.load(sm + o);
      variance = v128.load(sv + o);
    }
    const r = f32x4.div(one, f32x4.sqrt(f32x4.add(variance, f32x4.splat(eps))));
    v128.store(rs + o, r);
    for (let b = 0; b < rows; b++)
      v128.store(
        xh + <usize>b * xStride + o,
        f32x4.mul(f32x4.sub(v128.load(v + <usize>b * vStride + o), mean), r),
      );
  }
}

/**
 * The batch-norm backward of one processing step: dy rows (dyStride apart), x̂ rows (xStride),
 * γ, the step's rstd rs → dv rows (dvStride; may alias dy). Inference: ∂v = rstd·g.
 */
export function bnBackward(
  dy: usize,
  dyStride: usize,
  gamma: usize,
  xh: usize,
  xStride: usize,
  rs: usize,
  dv: usize,
  dvStride: usize,
  rows: i32,
  W: i32,
  training: bool,
): void {
  const inv = f32x4.splat(<f32>1 / <f32>rows);
  for (let c = 0; c < W; c += 4) {
    const o = (<usize>c) << 2;
    const gm = v128.load(gamma + o),
      r = v128.load(rs + o);
    let mg = f32x4.splat(0),
      mgx = f32x4.splat(0);
    if (training) {
      for (let b = 0; b < rows; b++) {
        const gv = f32x4.mul(v128.load(dy + <usize>b * dyStride + o), gm);
        mg = f32x4.add(mg, gv);
        mgx = f32x4.add(mgx, f32x4.mul(gv, v128.load(xh + <usize>b * xStride + o)));
      }
      mg = f32x4.mul(mg, inv);
      mgx = f32x4.mul(mgx, inv);
    }
    for (let b = 0; b < rows; b++) {
      const gv = f32x4.mul(v128.load(dy + <usize>b * dyStride + o), gm);
      const x = v128.load(xh + <usize>b * xStride + o);
      v128.store(dv + <usize>b * dvStride + o, f32x4.mul(r, f32x4.sub(f32x4.sub(gv, mg), f32x4.mul(x, mgx))));
    }
  }
}

/** dst = γ ⊙ x̂ + shift (shift 0: none), W floats. */
export function scaleShift(dst: usize, xh: usize, gamma: usize, shift: usize, W: i32): void {
  for (let c = 0; c < W; c += 4) {
    const o = (<usize>c) << 2;
    let y = f32x4.mul(v128.load(gamma + o), v128.load(xh + o));
    if (shift != 0) y = f32x4.add(y, v128.load(shift + o));
    v128.store(dst + o, y);
  }
}

/**
 * Column sums over `rows` rows (stride W floats) of columns [c0, c1) (multiples of 4):
 * sxy[c] = Σ x ⊙ y (∂γ: x the gradient at N, y = x̂), and, when sx ≠ 0, sx[c] = Σ x (∂β, ∂b).
 * Rows in order 0, 1, …: the same sums on any thread split.
 */
export function columnSums(
  x: usize,
  y: usize,
  rows: i32,
  W: i32,
  c0: i32,
  c1: i32,
  sxy: usize,
  sx: usize,
): void {
  const stride = (<usize>W) << 2;
  for (let c = c0; c < c1; c += 4) {
    const o = (<usize>c) << 2;
    let axy = f32x4.splat(0),
      ax = f32x4.splat(0);
    for (let r = 0; r < rows; r++) {
      const xv = v128.load(x + <usize>r * stride + o);
      axy = f32x4.add(axy, f32x4.mul(xv, v128.load(y + <usize>r * stride + o)));
      ax = f32x4.add(ax, xv);
    }
    v128.store(sxy + o, axy);
    if (sx != 0) v128.store(sx + o, ax);
  }
}
