// Normalisation inside the fused LSTM and GRU (layer norm, recurrent batch norm): the per-call
// context and the helpers shared by lstm_norm.cc and gru_norm.cc. Design, slots and tape layouts:
// NORM_KIND in src/fused/abi.ts; semantics: packages/core/src/layers/recurrent/step-normalization.ts.
// Kept apart from the un-normalised drivers (lstm.cc, gru.cc), whose bits do not change.
#pragma once
#include <algorithm>
#include <cmath>
#include <vector>

#include "seq_util.h"

namespace regulab {

// What a normalised call adds to SeqCtx (null pointers where its kind has none).
struct NormCtx {
  int kind = abi::NORM_NONE, scope = abi::NORM_SCOPE_FUSED, maxSteps = 0;
  bool training = false;
  float eps = 1e-3f;
  const float *gx = nullptr, *gh = nullptr, *gc = nullptr, *bc = nullptr;  // γ_x, γ_h [G·H]; γ_c, β_c [H]
  const float *mmx = nullptr, *mvx = nullptr, *mmh = nullptr, *mvh = nullptr, *mmc = nullptr, *mvc = nullptr;
  float *nx = nullptr, *nh = nullptr, *nc = nullptr;  // x̂ tapes [T·B, F]
  float *rx = nullptr, *rh = nullptr, *rc = nullptr;  // rstd tapes: LN [T·B, blocks], BN [T, F]
  float *bmx = nullptr, *bvx = nullptr, *bmh = nullptr, *bvh = nullptr, *bmc = nullptr, *bvc = nullptr;
  float *dgx = nullptr, *dgh = nullptr, *dgc = nullptr, *dbc = nullptr;
  bool layer() const { return kind == abi::NORM_LAYER; }
  bool per_gate() const { return scope == abi::NORM_SCOPE_GATE; }
  // Batch norm inference reads moving statistics row min(k, maxSteps − 1).
  int moving_row(int k) const { return std::min(k, maxSteps - 1); }
};

// ---------------------------------------------------------------- element-wise helpers
// v ← act(v) over n floats: sigmoid and tanh through the ISA table's vector routines, the rest here.
inline void act_inplace(const IsaTable& t, int code, float* v, int n) {
  if (n <= 0) return;
  switch (code) {
    case abi::ACTIVATION_SIGMOID:
      t.unary(abi::UNARY_SIGMOID, v, v, n);
      return;
    case abi::ACTIVATION_TANH:
      t.unary(abi::UNARY_TANH, v, v, n);
      return;
    case abi::ACTIVATION_HARD_SIGMOID:
      for (int i = 0; i < n; i++) v[i] = std::min(std::max(v[i] * 0.2f + 0.5f, 0.0f), 1.0f);
      return;
    case abi::ACTIVATION_RELU:
      for (int i = 0; i < n; i++) v[i] = v[i] > 0.0f ? v[i] : 0.0f;
      return;
    default:
      return;
  }
}

// The activation's derivative from its output y.
inline float dact(int code, float y) {
  switch (code) {
    case abi::ACTIVATION_SIGMOID:
      return y * (1.0f - y);
    case abi::ACTIVATION_TANH:
      return 1.0f - y * y;
    case abi::ACTIVATION_HARD_SIGMOID:
      return y > 0.0f && y < 1.0f ? 0.2f : 0.0f;
    case abi::ACTIVATION_RELU:
      return y > 0.0f ? 1.0f : 0.0f;
    default:
      return 1.0f;
  }
}

// Keep weights d of a zoneout at step k, row b, units [j0, j1) into d[j]: the scalar twin of
// kernels.inc's zone_d (the mode switched once per row, so the caller's element loop vectorises).
inline void zone_row(const Zone& z, const SeqCtx& c, int k, int b, int j0, int j1, float* d) {
  switch (z.mode) {
    case abi::ZONEOUT_MASK: {
      const float* m = z.mask + ((size_t)k * c.B + b) * c.H;
      for (int j = j0; j < j1; j++) d[j] = m[j];
      return;
    }
    case abi::ZONEOUT_EXPECTATION:
      for (int j = j0; j < j1; j++) d[j] = z.rate;
      return;
    case abi::ZONEOUT_SEEDED: {
      const uint32_t base = ((uint32_t)k * (uint32_t)c.B + (uint32_t)b) * (uint32_t)c.H;
      for (int j = j0; j < j1; j++) {
        uint32_t u = (base + (uint32_t)j) * 0x9e3779b9u + z.key;
        u = (u ^ (u >> 16)) * 0x85ebca6bu;
        u = (u ^ (u >> 13)) * 0xc2b2ae35u;
        u = u ^ (u >> 16);
        d[j] = (u >> 8) < z.threshold ? 1.0f : 0.0f;
      }
      return;
    }
    default:
      for (int j = j0; j < j1; j++) d[j] = 0.0f;
  }
}

inline float step_keep_of(const SeqCtx& c, int k, int b) {
  return c.stepMask ? c.stepMask[(size_t)b * c.T + c.time_of(k)] : 1.0f;
}
inline const float* cand_row_of(const SeqCtx& c, int k, int b) {
  if (!c.candMask) return nullptr;
  return c.candMask + ((c.candPerStep ? (size_t)k * c.B : 0) + b) * c.H;
}

// ---------------------------------------------------------------- the step loop's split
// A thread's share of a normalised step: batch rows and all units. Layer norm takes any rows
// (per-example statistics, no barrier); batch norm (per-feature statistics over the batch) whole
// blocks of rows, below. Each thread packs U whole in its own copy (pack_part with Part's columns
// [c0, c1) = all) and multiplies its rows by it (part_panels).
// The per-step state-gradient norms are summed in chunks of norm_unit_chunk(nr) units (whole
// vectors) and the chunks added in order (norms_from_sums): a fixed order on any thread count.
inline int norm_unit_chunk(int nr) { return nr / 2; }
// Batch norm in a step split by rows (the LSTM and the GRU). Each statistic couples all B rows. The
// batch is cut into kBnRowBlocks fixed blocks of rows and a thread takes whole blocks (bn_part); each block's
// partial statistic is summed over its rows in order by its thread, then after one barrier every
// thread combines the blocks in order: the same bits on any thread count, no thread waiting on
// another's sums, and only [F]-sized partials pass between cores. Rows, not units, are split so that
// the threads share no rows of any buffer: with units split, every row of the gates, x̂ and state
// buffers had cache lines written by both threads (H = 100 is not a whole number of lines), and at
// pmnist's size two threads were slower than one.
constexpr int kBnRowBlocks = 4;
inline int bn_block_rows(int B) { return (B + kBnRowBlocks - 1) / kBnRowBlocks; }
inline Part bn_part(int B, int H, int bw, int tid, int nt) {
  const int R = bn_block_rows(B);
  int i0, i1;
  split_range(kBnRowBlocks, nt, tid, 1, i0, i1);
  return Part{std::min(B, i0 * R), std::min(B, i1 * R), 0, H, 0, bw};
}

struct BnStat {  // one normalised quantity v [B, F] of the step
  const float* v;
  int ldv, F;
  const float *mm, *mv;  // inference: the moving row
  float *rs, *bm, *bv;   // rstd (tape), the batch's μ, σ² (training, when given): written by thread 0
  float* part;           // [kBnRowBlocks][2][F]: each block's Welford μ and m2 (shared)
};

struct BnPhases {
  const IsaTable& t;
  Pool& pool;
  int tid, nt, B;
  void wait() const {
    if (nt > 1) pool.barrier();
  }
  // fn(block, r0, r1) for each block of this thread's (rows [r0, r1), possibly empty).
  template <class Fn>
  void own_blocks(Fn&& fn) const {
    const int R = bn_block_rows(B);
    int i0, i1;
    split_range(kBnRowBlocks, nt, tid, 1, i0, i1);
    for (int i = i0; i < i1; i++) fn(i, std::min(B, i * R), std::min(B, (i + 1) * R));
  }
  int rows_of(int i) const {
    const int R = bn_block_rows(B);
    return std::max(0, std::min(B, (i + 1) * R) - i * R);
  }
  // μ → mean, rstd → rstd (this thread's arrays [F]) of q: training the batch's μ and biased σ²,
  // each block by Welford's pass over its rows, the blocks combined in order (Chan et al.);
  // inference the moving row (no barrier).
  void stats(const BnStat& q, bool training, float eps, float* mean, float* rstd) const {
    const int F = q.F;
    if (!training) {
      for (int j = 0; j < F; j++) {
        mean[j] = q.mm[j];
        rstd[j] = 1.0f / std::sqrt(q.mv[j] + eps);
      }
      if (tid == 0) std::copy(rstd, rstd + F, q.rs);
      return;
    }
    own_blocks([&](int i, int r0, int r1) {
      float* pm = q.part + (size_t)i * 2 * F;
      std::fill(pm, pm + 2 * (size_t)F, 0.f);
      t.bn_welford_rows(q.v, q.ldv, r0, r1, r0, 0, F, pm, pm + F);
    });
    wait();  // every block's partial
    float* m2 = rstd;  // m2 until the end
    int n = 0;
    for (int i = 0; i < kBnRowBlocks; i++) {
      const int ni = rows_of(i);
      if (ni == 0) continue;
      const float* pm = q.part + (size_t)i * 2 * F;
      if (n == 0) {
        std::copy(pm, pm + F, mean);
        std::copy(pm + F, pm + 2 * F, m2);
      } else {
        const float a = (float)ni / (float)(n + ni), c = (float)n * (float)ni / (float)(n + ni);
        for (int j = 0; j < F; j++) {
          const float d = pm[j] - mean[j];
          mean[j] += d * a;
          m2[j] += pm[F + j] + d * d * c;
        }
      }
      n += ni;
    }
    for (int j = 0; j < F; j++) {
      const float var = m2[j] / (float)B;
      if (tid == 0 && q.bv) q.bv[j] = var;
      rstd[j] = 1.0f / std::sqrt(var + eps);
    }
    if (tid == 0) {
      std::copy(rstd, rstd + F, q.rs);
      if (q.bm) std::copy(mean, mean + F, q.bm);
    }
  }
};

// The batch-norm LSTM backward's column sums of one step, their block partials (summed by each
// block's thread over its rows in order, combined in block order after a barrier, as BnPhases),
// the means N' needs and the totals the sums add to. For N_c: Σ ∂y_c, Σ ∂y_c ⊙ x̂_c (→ ∂β_c, ∂γ_c).
// For N_h and N_x: S = Σ ∂a (→ ∂b), Σ ∂a ⊙ x̂_h (→ ∂γ_h) and, with x̂_x recomputed (D inputs),
// Σ ∂a ⊙ x̂_x (→ ∂γ_x), Q = Σ x ⊗ ∂a, XX = Σ x ⊗ x̂_x and Σ x, from which the step's
//   ∂W[d, j] += Σ_b x[b, d]·∂(x·W)[b, j] = rstd_j·(γ_j·Q[d, j] − m1_j·Σ_b x[b, d] − m2_j·XX[d, j])
// with ∂(x·W) = rstd·(γ ⊙ ∂a − m1 − x̂ ⊙ m2), m1 = γ ⊙ S / B, m2 = γ ⊙ Σ ∂a ⊙ x̂ / B (training; 0 in
// inference, where the statistics are constants). Each thread adds its share of the features to the
// totals.
struct BnGradSums {
  int H, F, D;
  size_t cw, hw;       // floats of one block's partials: c [2H]; h [3F + 2DF + D]
  float *cpart, *hpart;  // [kBnRowBlocks] blocks of each (shared)
  BnGradSums(int H_, int F_, int D_, float* shared)
      : H(H_), F(F_), D(D_), cw(2 * (size_t)H_), hw(3 * (size_t)F_ + 2 * (size_t)D_ * F_ + D_) {
    cpart = shared;
    hpart = shared + kBnRowBlocks * cw;
  }
  static size_t shared_size(int H, int F, int D) {
    return kBnRowBlocks * (2 * (size_t)H + 3 * (size_t)F + 2 * (size_t)D * F + D);
  }
  // Per-thread means: m1c, m2c [H], m1h, m2h, m1x, m2x [F] (thread_size floats).
  static size_t thread_size(int H, int F) { return 2 * (size_t)H + 4 * (size_t)F; }
  // out[j] = Σ_i part_i[o + j], the blocks in order (j < n).
  static void combine(const float* part, size_t w, size_t o, int n, float* out) {
    std::copy(part + o, part + o + n, out);
    for (int i = 1; i < kBnRowBlocks; i++) {
      const float* p = part + i * w + o;
      for (int j = 0; j < n; j++) out[j] += p[j];
    }
  }
  // N_c's sums of the step's own blocks (BnPhases::own_blocks), then after the barrier the means.
  void c_block(const IsaTable& t, int i, int r0, int r1, const float* dyc, const float* nc) const {
    float* p = cpart + i * cw;
    std::fill(p, p + cw, 0.f);
    t.bn_bwd_sum_rows(dyc, H, nc, H, r0, r1, 0, H, nullptr, p, p + H);
  }
  // N's means over the batch: m1 = γ ⊙ Σ ∂y / B, m2 = γ ⊙ Σ ∂y ⊙ x̂ / B (training; 0 in inference).
  static void means(const float* gamma, const float* sy, const float* syx, int n, bool training, int B, float* m1,
                    float* m2) {
    for (int j = 0; j < n; j++) {
      m1[j] = training ? gamma[j] * sy[j] / (float)B : 0.f;
      m2[j] = training ? gamma[j] * syx[j] / (float)B : 0.f;
    }
  }
  // The means of N_c' into my; the totals ∂β_c, ∂γ_c of features [j0, j1) (this thread's share).
  void c_means(const NormCtx& n, bool training, int B, int j0, int j1, float* my, float* tmp) const {
    float *sc = tmp, *pc = tmp + H, *m1c = my, *m2c = my + H;
    combine(cpart, cw, 0, H, sc);
    combine(cpart, cw, H, H, pc);
    means(n.gc, sc, pc, H, training, B, m1c, m2c);
    for (int j = j0; j < j1; j++) {
      n.dbc[j] += sc[j];
      n.dgc[j] += pc[j];
    }
  }
  // mu, rsx: μ_x, rstd_x of the step (used with D > 0); x: the step's inputs [B, D].
  void h_block(const IsaTable& t, int i, int r0, int r1, const float* da, const float* nh, const float* x,
               const float* W, const float* mu, const float* rsx) const {
    float* p = hpart + i * hw;
    std::fill(p, p + hw, 0.f);
    float *q = p + 3 * (size_t)F, *xx = q + (size_t)D * F, *xs = xx + (size_t)D * F;
    t.bn_lstm_bwd_sums(da, nh, F, r0, r1, x, D, W, mu, rsx, p, p + F, p + 2 * F, q, xx);
    for (int b = r0; b < r1; b++)
      for (int d = 0; d < D; d++) xs[d] += x[(size_t)b * D + d];
  }
  // The means of N_h (and N_x) into my, and ∂b, ∂γ_h, ∂γ_x, ∂W of features [j0, j1) (this
  // thread's share) added to the totals. rsx: rstd_x of the step. tmp: 3F + 2DF + D floats.
  void h_means(const SeqCtx& c, const NormCtx& n, bool training, int B, int j0, int j1, const float* rsx, float* my,
               float* tmp) const {
    float *m1h = my + 2 * H, *m2h = m1h + F, *m1x = m2h + F, *m2x = m1x + F;
    combine(hpart, hw, 0, (D ? 3 : 2) * F, tmp);
    const float *s = tmp, *ph = tmp + F, *px = tmp + 2 * F;
    means(n.gh, s, ph, F, training, B, m1h, m2h);
    if (D > 0) means(n.gx, s, px, F, training, B, m1x, m2x);
    for (int j = j0; j < j1; j++) {
      c.db[j] += s[j];
      n.dgh[j] += ph[j];
    }
    if (D == 0 || j1 <= j0) return;
    for (int j = j0; j < j1; j++) n.dgx[j] += px[j];
    const size_t qo = 3 * (size_t)F, xo = qo + 2 * (size_t)D * F;
    float *q = tmp + qo, *xs = tmp + xo;
    combine(hpart, hw, xo, D, xs);
    for (int d = 0; d < D; d++) {
      // Q and XX of row d, this thread's features
      combine(hpart, hw, qo + (size_t)d * F + j0, j1 - j0, q);
      combine(hpart, hw, qo + (size_t)(D + d) * F + j0, j1 - j0, q + F);
      float* w = c.dW + (size_t)d * F;
      for (int j = j0; j < j1; j++)
        w[j] += rsx[j] * (n.gx[j] * q[j - j0] - m1x[j] * xs[d] - m2x[j] * q[F + j - j0]);
    }
  }
};

// The column sums N' needs of dy over features [j0, j1) in a step split by row blocks (the GRU's
// N_h'; dy and x̂ rows of stride ldy, ldx): each of this thread's blocks sums Σ dy and Σ dy ⊙ x̂
// over its rows in order into its part ([kBnRowBlocks][2][j1 − j0], shared), then after one barrier
// every thread combines the blocks in order into sy, syx (its own, indexed j − j0), as
// BnGradSums: the same bits on any thread count.
inline void bn_grad_sums(const BnPhases& bn, const float* dy, int ldy, const float* xh, int ldx, int j0, int j1,
                         float* part, float* sy, float* syx) {
  const int F = j1 - j0;
  bn.own_blocks([&](int i, int r0, int r1) {
    float* p = part + (size_t)i * 2 * F;
    std::fill(p, p + 2 * (size_t)F, 0.f);
    bn.t.bn_bwd_sum_rows(dy + j0, ldy, xh + j0, ldx, r0, r1, 0, F, nullptr, p, p + F);
  });
  bn.wait();  // every block's sums
  BnGradSums::combine(part, 2 * (size_t)F, 0, F, sy);
  BnGradSums::combine(part, 2 * (size_t)F, F, F, syx);
}

// Columns [p.c0, p.c1) of nb blocks of width bw of m (K rows of stride ld; trans: of mᵀ, m being
// [bw·nb, K]) packed into out, one block every ps floats (ps = packed_size(K, bw, nr)).
inline void pack_part(const IsaTable& t, const Part& p, int K, int nb, int bw, const float* m, int ld, bool trans,
                      float* out, size_t ps) {
  const int w = p.c1 - p.c0;
  if (w <= 0) return;
  for (int g = 0; g < nb; g++)
    pack_b(K, w, trans ? m + ((size_t)g * bw + p.c0) * ld : m + (size_t)g * bw + p.c0, ld, trans, out + g * ps, t.nr);
}
// C[M, columns [p.c0, p.c1) of block g] = A · (block g of pack_part's panels); C at column 0 of block 0.
inline void part_panels(const IsaTable& t, const Part& p, int M, int K, const float* A, int lda, const float* packed,
                        size_t ps, int g, int kfull, int bw, float* C, int ldc) {
  const int w = p.c1 - p.c0;
  if (w <= 0 || M <= 0) return;
  gate_panels(t, M, K, A, lda, packed + g * ps, kfull, 0, w, w, C + (size_t)g * bw + p.c0, ldc, false);
}

// ---------------------------------------------------------------- layer norm, one row
// Layer norm's per-row work (statistics, x̂ and the affine, the backward's gradient) is the ISA
// table's ln_fwd_row / ln_bwd_row (kernels.inc), compiled per instruction set: built here for
// baseline x86 only, it kept the normalised LSTM step at ~1.55× the plain one (issue 13).

// ---------------------------------------------------------------- batch norm, one step
// Features [j0, j1) of a [B, ·] block (v rows of stride ldv, x̂ rows of stride ldx): training uses
// the batch's mean and biased variance (written to bm, bv when given), inference mm, mv; rstd → rs;
// then, when gamma is given, out = (acc ? out : 0) + γ ⊙ x̂ + β (β null: 0; rows of stride ldo) in
// the same pass. Every column is summed over b = 0..B−1 in order, whoever owns it. The column work
// is the ISA table's (kernels.inc), compiled per instruction set with no allocation: built here for
// baseline x86 with two std::vectors per call, it was the largest cost of a batch-normalised step.
inline void bn_fwd_cols(const float* v, int ldv, float* xh, int ldx, int B, int j0, int j1, float eps, bool training,
                        const float* mm, const float* mv, float* rs, float* bm, float* bv,
                        const float* gamma = nullptr, const float* beta = nullptr, float* out = nullptr, int ldo = 0,
                        bool acc = false) {
  if (j1 <= j0) return;
  isa().bn_fwd_cols(v, ldv, xh, ldx, B, j0, j1, eps, training, mm, mv, rs, bm, bv, gamma, beta, out, ldo, acc);
}

// Backward of bn_fwd_cols into out (rows of stride ldo; may alias dy or xh; accumulate adds):
// training ∂v = rstd·(g − mean_b(g) − x̂·mean_b(g ⊙ x̂)) with g = dy ⊙ γ; inference ∂v = rstd·g.
inline void bn_bwd_cols(const float* dy, int ldy, const float* xh, int ldx, int B, int j0, int j1,
                        const float* gamma, const float* rs, bool training, float* out, int ldo, bool accumulate) {
  if (j1 <= j0) return;
  isa().bn_bwd_cols(dy, ldy, xh, ldx, B, j0, j1, gamma, rs, training, out, ldo, accumulate);
}

// Column sums of a [rows, n] (row stride lda) in one pass over a: p[j] = Σ_r a[r, j]·b[r, j] and
// q[j] = Σ_r a[r, j]·e[r, j] (strides ldb, lde), s[j] = Σ_r a[r, j]; a null output is skipped. Columns
// split over the pool (in whole vectors), each summed in row order (the same bits on any thread
// count). One pass instead of one per output: the LSTM's ∂γ_h, ∂γ_x, ∂b read ∂a ([T·B, 4H],
// megabytes) once.
inline void column_sums(int rows, int n, const float* a, int lda, const float* b, int ldb, float* p, const float* e,
                        int lde, float* q, float* s, Pool& pool) {
  const IsaTable& t = isa();
  pool.run([&](int tid, int nt) {
    int j0, j1;
    split_range(n, nt, tid, t.nr / 2, j0, j1);
    if (j1 > j0) t.col_sums(rows, j0, j1, a, lda, b, ldb, p, e, lde, q, s, false);
  });
}

// N(v) of a whole [T·B, G·H] quantity at once (the input projections, before the loop), rows
// (layer norm) or features (batch norm) split over the pool: x̂ → xh, rstd → rs, batch statistics
// → bm, bv (batch norm training); then out = γ ⊙ x̂ + bias (bias null: 0).
inline void norm_all_steps(const SeqCtx& c, const NormCtx& n, int G, const float* v, float* xh, float* rs,
                           const float* gamma, const float* mm, const float* mv, float* bm, float* bv,
                           const float* bias, float* out, Pool& pool) {
  const int B = c.B, T = c.T, F = G * c.H;
  const size_t TB = (size_t)T * B;
  const IsaTable& t = isa();
  pool.run([&](int tid, int nt) {
    if (n.layer()) {
      int r0, r1;
      split_range((int)TB, nt, tid, 1, r0, r1);
      for (int r = r0; r < r1; r++) {
        const size_t o = (size_t)r * F;
        t.ln_fwd_row(v + o, xh + o, rs + (size_t)r * G, G, c.H, n.per_gate(), n.eps, gamma, bias, out + o, false);
      }
      return;
    }
    int j0, j1;
    split_range(F, nt, tid, t.nr / 2, j0, j1);
    for (int k = 0; k < T; k++) {
      const size_t o = (size_t)k * B * F;
      const int row = n.training ? 0 : n.moving_row(k);
      bn_fwd_cols(v + o, F, xh + o, F, B, j0, j1, n.eps, n.training, mm ? mm + (size_t)row * F : nullptr,
                  mv ? mv + (size_t)row * F : nullptr, rs + (size_t)k * F, bm ? bm + (size_t)k * F : nullptr,
                  bv ? bv + (size_t)k * F : nullptr, gamma, bias, out + o, F, false);
    }
  });
}

// Batch norm of x_k·W for every step, G·H features split over the pool in whole vectors: each
// thread computes its block of x_k·W ([B, its features], W's columns packed once) and normalises
// it while in cache. Statistics: training the batch's (→ bm, bv when given), inference the moving
// rows; rstd → n.rx; with out given, x̂ → xh (null: not kept) and out = γ_x ⊙ x̂ + b. Without out
// (the LSTM that recomputes x̂_x, lstm_recomputes_x) only the statistics are taken. The same
// product per element whoever computes it: the same bits on any thread count.
inline void bn_x_all_steps(const SeqCtx& c, const NormCtx& n, int G, const float* xs, float* xh, float* out,
                           float* bm, float* bv, Pool& pool) {
  const int B = c.B, T = c.T, D = c.D, F = G * c.H;
  const IsaTable& t = isa();
  pool.run([&](int tid, int nt) {
    int j0, j1;
    split_range(F, nt, tid, t.nr / 2, j0, j1);
    const int w = j1 - j0;
    if (w <= 0) return;
    const size_t ps = packed_size(D, w, t.nr);
    float* wp = scratch(19, ps + (size_t)B * w);  // this thread's columns of W, packed; then its block of x·W
    float* V = wp + ps;
    pack_b(D, w, c.W + j0, F, false, wp, t.nr);
    for (int k = 0; k < T; k++) {
      const size_t o = (size_t)k * B * F + j0, f = (size_t)k * F + j0, row = (size_t)n.moving_row(k) * F + j0;
      if (n.training || out) gate_panels(t, B, D, xs + (size_t)k * B * D, D, wp, D, 0, w, w, V, w, false);
      bn_fwd_cols(V, w, xh ? xh + o : nullptr, F, B, 0, w, n.eps, n.training, n.training ? nullptr : n.mmx + row,
                  n.training ? nullptr : n.mvx + row, n.rx + f, bm ? bm + f : nullptr, bv ? bv + f : nullptr,
                  out ? n.gx + j0 : nullptr, out && c.bias ? c.bias + j0 : nullptr, out ? out + o : nullptr, F, false);
    }
  });
}

// N_x(x·W) + b of every step into c.gates (x̂ → n.nx, rstd → n.rx, batch statistics → n.bmx, n.bvx),
// from the step-major inputs xs [T·B, D]. Layer norm: one GEMM, then norm_all_steps. Batch norm:
// bn_x_all_steps, block by block in cache instead of a [T·B, G·H] GEMM output (~125 MB for pmnist)
// written to memory and read back.
inline void norm_x_all_steps(const SeqCtx& c, const NormCtx& n, int G, const float* xs, Pool& pool) {
  const int B = c.B, T = c.T, D = c.D, F = G * c.H;
  if (n.layer()) {
    gemm(T * B, F, D, xs, D, c.W, F, false, c.gates, F, false, pool);
    norm_all_steps(c, n, G, c.gates, n.nx, n.rx, n.gx, n.mmx, n.mvx, n.bmx, n.bvx, c.bias, c.gates, pool);
    return;
  }
  bn_x_all_steps(c, n, G, xs, n.nx, c.gates, n.bmx, n.bvx, pool);
}


// Backward of norm_all_steps: dy [T·B, G·H] (rows of stride ldy) → ∂v into out (may alias xh).
inline void norm_all_steps_bwd(const SeqCtx& c, const NormCtx& n, int G, const float* dy, int ldy, const float* xh,
                               const float* rs, const float* gamma, float* out, Pool& pool) {
  const int B = c.B, T = c.T, F = G * c.H;
  const size_t TB = (size_t)T * B;
  const IsaTable& t = isa();
  pool.run([&](int tid, int nt) {
    if (n.layer()) {
      int r0, r1;
      split_range((int)TB, nt, tid, 1, r0, r1);
      for (int r = r0; r < r1; r++)
        t.ln_bwd_row(dy + (size_t)r * ldy, xh + (size_t)r * F, rs + (size_t)r * G, gamma, out + (size_t)r * F, G, c.H,
                     n.per_gate(), false);
      return;
    }
    int j0, j1;
    split_range(F, nt, tid, t.nr / 2, j0, j1);
    for (int k = 0; k < T; k++)
      bn_bwd_cols(dy + (size_t)k * B * ldy, ldy, xh + (size_t)k * B * F, F, B, j0, j1, gamma, rs + (size_t)k * F,
                  n.training, out + (size_t)k * B * F, F, false);
  });
}

// ∂W[:, j0 + j] += Σ_b x[b, :] ⊗ g[b, j] for j < w (g rows of stride ldg): rows in order.
inline void add_dw_block(int B, int D, const float* x, const float* g, int ldg, float* dW, int F, int j0, int w) {
  for (int b = 0; b < B; b++)
    for (int d = 0; d < D; d++) {
      const float xv = x[(size_t)b * D + d];
      float* o = dW + (size_t)d * F + j0;
      const float* gr = g + (size_t)b * ldg;
      for (int j = 0; j < w; j++) o[j] += xv * gr[j];
    }
}

// After the backward loop: ∂γ_x = Σ dy ⊙ x̂_x, ∂γ_h = Σ dy ⊙ x̂_h (nh, rows of stride ldh), ∂b = Σ dy
// (column_sums), then ∂(x·W) = N_x'(dy) in place of x̂_x (norm_all_steps_bwd), and, when dW is given,
// ∂W = xsᵀ·∂(x·W) (xs: the step-major inputs [T·B, D]). Batch norm does it all in one pass over the
// steps, a thread's features at a time: the step's block of dy and x̂_x is summed and read again by
// the gradient while in cache, where the separate calls read the [T·B, G·H] tapes (≈125 MB each for
// pmnist) from memory twice and packed ∂(x·W) once more for a D-row GEMM; with D ≤ kDwInPass inputs
// ∂W is summed from the block too. Every sum runs over the rows in order, whoever owns the column:
// the same bits on any thread count.
constexpr int kDwInPass = 16;
inline void norm_x_bwd_with_sums(const SeqCtx& c, const NormCtx& n, int G, const float* dy, int ldy, const float* nh,
                                 int ldh, float* dgh, float* db, const float* xs, float* dW, Pool& pool) {
  const int B = c.B, T = c.T, D = c.D, F = G * c.H;
  const bool dw_here = dW && !n.layer() && D <= kDwInPass;
  if (n.layer()) {
    column_sums(T * B, F, dy, ldy, nh, ldh, n.dgh, n.nx, F, n.dgx, db, pool);
    norm_all_steps_bwd(c, n, G, dy, ldy, n.nx, n.rx, n.gx, n.nx, pool);
  } else {
    const IsaTable& t = isa();
    pool.run([&](int tid, int nt) {
      int j0, j1;
      split_range(F, nt, tid, t.nr / 2, j0, j1);
      if (j1 <= j0) return;
      if (dw_here)
        for (int d = 0; d < D; d++) std::fill(dW + (size_t)d * F + j0, dW + (size_t)d * F + j1, 0.f);
      for (int k = 0; k < T; k++) {
        const size_t r = (size_t)k * B;
        float* dxw = n.nx + r * F;
        t.col_sums(B, j0, j1, dy + r * ldy, ldy, nh + r * ldh, ldh, dgh, dxw, F, n.dgx, db, k > 0);
        t.bn_bwd_cols(dy + r * ldy, ldy, dxw, F, B, j0, j1, n.gx, n.rx + (size_t)k * F, n.training, dxw, F, false);
        if (dw_here) add_dw_block(B, D, xs + r * D, dxw + j0, F, dW, F, j0, j1 - j0);
      }
    });
  }
  if (dW && !dw_here) {
    float* xst = scratch(3, (size_t)D * T * B);
    transpose(T * B, D, xs, D, xst, pool);
    gemm(D, F, T * B, xst, T * B, n.nx, F, false, dW, F, false, pool);
  }
}

// ---------------------------------------------------------------- x̂_x recomputed (LSTM, batch norm)
// With batch norm and at most NORM_X_RECOMPUTE_MAX_INPUTS inputs (src/fused/abi.ts), the LSTM keeps
// no x̂_x tape: the forward normalises x_k·W inside the step loop (no [T·B, 4H] pass before it) and
// keeps the statistics it used, μ_x then σ²_x ([2, T, F] in n.nx, training); the backward recomputes
// x̂_x = (x_k·W − μ_x)·rstd_x block by block with the forward's own routines, so its bits are the
// forward's: the results are those of the kept tape, on any thread count.
inline bool lstm_recomputes_x(const SeqCtx& c, const NormCtx& n) {
  return n.kind == abi::NORM_BATCH && c.D <= abi::NORM_X_RECOMPUTE_MAX_INPUTS;
}
// μ_x of step k as the forward used it (a row of F): the batch's, or the moving row.
inline const float* x_mean_of(const SeqCtx& c, const NormCtx& n, int k) {
  const int F = 4 * c.H;
  return n.training ? n.nx + (size_t)k * F : n.mmx + (size_t)n.moving_row(k) * F;
}

// ∂x = ∂(x·W)·Wᵀ for every step (Wᵀ packed [G·H, D]), straight into dx (rows of stride T·D).
inline void dx_from(const IsaTable& t, const SeqCtx& c, int G, const float* dxw, const float* wt, Pool& pool) {
  if (c.D == 0) return;
  const int GH = G * c.H;
  pool.run([&](int tid, int nt) {
    int k0, k1;
    split_range(c.T, nt, tid, 1, k0, k1);
    for (int k = k0; k < k1; k++)
      gate_panels(t, c.B, GH, dxw + (size_t)k * c.B * GH, GH, wt, GH, 0, c.D, c.D, c.dx + (size_t)c.time_of(k) * c.D,
                  c.T * c.D, false);
  });
}

void lstm_norm_forward(SeqCtx& c, NormCtx& n, Pool& pool);
void lstm_norm_backward(SeqCtx& c, NormCtx& n, Pool& pool);
void gru_norm_forward(SeqCtx& c, NormCtx& n, Pool& pool);
void gru_norm_backward(SeqCtx& c, NormCtx& n, Pool& pool);

}  // namespace regulab
