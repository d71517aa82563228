// Helpers shared by the LSTM and GRU drivers.
#pragma once
#include <algorithm>
#include <cmath>
#include <vector>

#include "common.h"
#include "thread_pool.h"

namespace regulab {

// Step-major copy of x into xs [T·B, D]: xs[(k·B + b)·D + d] = x[b, t(k), d] (the input step k consumes).
inline float* step_major_x(const SeqCtx& c, float* xs) {
  for (int k = 0; k < c.T; k++)
    for (int b = 0; b < c.B; b++) {
      const float* s = c.x + ((size_t)b * c.T + c.time_of(k)) * c.D;
      std::copy(s, s + c.D, xs + ((size_t)k * c.B + b) * c.D);
    }
  return xs;
}

// Draws the seeded per-step dropout masks of the call (c.recDrop, c.candDrop) into scratch slots 8
// and 9, split over the pool, and points recMask / candMask at them (per step). Forward and
// backward each draw them again (T·B·H hashes, cheaper than keeping them on the tape).
inline void draw_seeded_masks(SeqCtx& c, Pool& pool) {
  const long n = (long)c.T * c.B * c.H;
  const Drop* drops[2] = {&c.recDrop, &c.candDrop};
  float* out[2] = {nullptr, nullptr};
  for (int i = 0; i < 2; i++)
    if (drops[i]->on) out[i] = scratch(8 + i, (size_t)n);
  if (!out[0] && !out[1]) return;
  const IsaTable& t = isa();
  pool.run([&](int tid, int nt) {
    int lo, hi;
    split_range((int)((n + 63) / 64), nt, tid, 1, lo, hi);  // blocks of 64 elements
    const long a = (long)lo * 64, b = std::min(n, (long)hi * 64);
    for (int i = 0; i < 2; i++)
      if (out[i] && b > a) t.dropout_fill(*drops[i], out[i] + a, a, b - a);
  });
  if (out[0]) {
    c.recMask = out[0];
    c.recPerStep = true;
  }
  if (out[1]) {
    c.candMask = out[1];
    c.candPerStep = true;
  }
}

// Per-step state-gradient norms, deterministic for any thread count: before backward step k,
// each thread adds up dH² and dC² (the gradients of h_{k+1}, c_{k+1}, complete at that point) of
// its rows and units in fixed chunks of `nr` units (the units split is aligned to nr), into
// sq[((k·B + b)·nq + q)·2 + {0: h, 1: c}]; norms_from_sums then adds the chunks of each (k, b) in
// order. Only when c.dhNorms is set (stateGradientNorms), into scratch slot 16.
inline float* norm_sums(const SeqCtx& c, int nr) {
  if (!c.dhNorms) return nullptr;
  const int nq = (c.H + nr - 1) / nr;
  return scratch(16, (size_t)c.T * c.B * nq * 2);
}
inline void add_state_sq(const SeqCtx& c, float* sq, int nr, int k, int b0, int b1, int u0, int u1) {
  if (!sq) return;
  const int nq = (c.H + nr - 1) / nr;
  for (int b = b0; b < b1; b++) {
    const float* dh = c.dH + (size_t)b * c.H;
    const float* dc = c.dC ? c.dC + (size_t)b * c.H : nullptr;
    for (int j0 = u0; j0 < u1; j0 += nr) {
      const int j1 = std::min(u1, j0 + nr);
      float sh = 0.f, sc = 0.f;
      for (int j = j0; j < j1; j++) {
        sh += dh[j] * dh[j];
        if (dc) sc += dc[j] * dc[j];
      }
      float* o = sq + (((size_t)k * c.B + b) * nq + j0 / nr) * 2;
      o[0] = sh;
      o[1] = sc;
    }
  }
}
inline void norms_from_sums(const SeqCtx& c, const float* sq, int nr) {
  if (!sq) return;
  const int nq = (c.H + nr - 1) / nr;
  for (size_t r = 0; r < (size_t)c.T * c.B; r++) {
    double sh = 0, sc = 0;
    for (int q = 0; q < nq; q++) {
      sh += sq[(r * nq + q) * 2];
      sc += sq[(r * nq + q) * 2 + 1];
    }
    c.dhNorms[r] = (float)std::sqrt(sh);
    if (c.dcNorms) c.dcNorms[r] = (float)std::sqrt(sc);
  }
}

// out[j] = Σ_r M[r, j] over `rows` rows of stride ld (columns [0, n)), in a fixed order.
inline void column_sums(int rows, int n, const float* m, int ld, float* out) {
  std::fill(out, out + n, 0.f);
  for (int r = 0; r < rows; r++) {
    const float* row = m + (size_t)r * ld;
    for (int j = 0; j < n; j++) out[j] += row[j];
  }
}

// Ĥᵀ [H, T·B] into out: the Gal-masked states entering each step, transposed for the weight
// gradient (tmp [T·B, H] holds the masked states when there is a recurrent mask).
inline float* masked_states_t(const SeqCtx& c, float* tmp, float* out, Pool& pool) {
  const size_t TB = (size_t)c.T * c.B;
  const float* hs = c.HS;
  if (c.recMask) {
    for (size_t r = 0; r < TB; r++)
      for (int j = 0; j < c.H; j++)
        tmp[r * c.H + j] = c.HS[r * c.H + j] * c.recMask[(c.recPerStep ? r : r % c.B) * c.H + j];
    hs = tmp;
  }
  transpose((int)TB, c.H, hs, c.H, out, pool);
  return out;
}

// Rows [b0, b1) of step k of masked_states_t's output: out[j, k·B + b] = ĥ_k[b, j] (h ⊙ the
// recurrent mask), for a loop that visits every step's rows anyway (the normalised LSTM's backward):
// the transpose after it read and wrote [T·B, H] once more.
inline void states_t_rows(const SeqCtx& c, int k, int b0, int b1, float* out) {
  const size_t TB = (size_t)c.T * c.B, kb = (size_t)k * c.B;
  for (int j = 0; j < c.H; j++) {
    float* o = out + (size_t)j * TB + kb;
    for (int b = b0; b < b1; b++) {
      const float* m = rec_row(c, k, b);
      const float h = c.HS[(kb + b) * c.H + j];
      o[b] = m ? h * m[j] : h;
    }
  }
}

// dH[b, j] = dHp + (matmul part)·m_rec + dSeq[b, k − 1] for rows [b0, b1) and units [j0, j1):
// ∂h_k complete.
inline void finish_dh(const SeqCtx& c, int k, int j0, int j1, int b0, int b1) {
  for (int b = b0; b < b1; b++) {
    float* dh = c.dH + (size_t)b * c.H;
    const float* dhp = c.dHp + (size_t)b * c.H;
    const float* mm = c.tmp + (size_t)b * c.H;
    const float* m = rec_row(c, k, b);
    const float* ds = k > 0 && c.dSeq ? c.dSeq + ((size_t)b * c.T + (k - 1)) * c.H : nullptr;
    for (int j = j0; j < j1; j++) dh[j] = dhp[j] + (m ? mm[j] * m[j] : mm[j]) + (ds ? ds[j] : 0.f);
  }
}

// Whether the recurrence splits the batch over the threads (each runs every step of its rows with
// all units, no barrier at all: rows are independent) rather than the units (a barrier per step).
// Measured on 2 threads (H 256, T 50, fwd + bwd): rows win from 4 rows per thread up — B 32:
// 9.7 vs 13.8 ms, B 16: 6.8 vs 7.6, B 8: 3.8 vs 4.2 — units below (B 4: 1.8 vs 2.9), where each
// thread would stream all of U for two rows; pmnist (B 100, H 100): forward 39 vs 83 ms.
inline bool split_rows(int B, int threads) { return threads > 1 && B >= 4 * threads; }

// A thread's share of a step: rows [b0, b1), units [u0, u1) of the element-wise work, and columns
// [c0, c1) of each packed weight block of width bw (rows mode: all of them; units mode: its units,
// aligned to whole panels of nr columns).
struct Part {
  int b0, b1, u0, u1, c0, c1;
};
inline Part part(bool by_rows, int B, int H, int bw, int nr, int tid, int nt) {
  Part p{0, B, 0, H, 0, bw};
  if (by_rows) {
    split_range(B, nt, tid, 1, p.b0, p.b1);
  } else {
    split_range(H, nt, tid, nr, p.u0, p.u1);
    p.c0 = p.u0;
    p.c1 = p.u1;
  }
  return p;
}

// dH = dhT + dSeq[:, T − 1] (dSeq null: no sequence output, its gradient is 0).
inline void init_dh(const SeqCtx& c) {
  for (int b = 0; b < c.B; b++)
    for (int j = 0; j < c.H; j++)
      c.dH[(size_t)b * c.H + j] =
          c.dhT[(size_t)b * c.H + j] + (c.dSeq ? c.dSeq[((size_t)b * c.T + c.T - 1) * c.H + j] : 0.f);
}

// C[rows, cols of gate g in units [j0, j1)] (+)= A · (packed gate panels).
// `packed` holds panels of kfull rows each (a K sub-range starts at packed + p0·nr).
inline void gate_panels(const IsaTable& t, int M, int K, const float* A, int lda, const float* packed, int kfull,
                        int j0, int j1, int H, float* C, int ldc, bool acc) {
  for (int q = j0 / t.nr; q * t.nr < j1; q++) {
    int nv = std::min(t.nr, H - q * t.nr);
    t.panel(M, K, A, lda, packed + (size_t)q * kfull * t.nr, C + q * t.nr, ldc, acc, nv);
  }
}

// ∂x of step k for rows [b0, b1): dx[b, t(k)] = ∂a_k[b] · Wᵀ (G gates, Wᵀ packed [G·H, D]),
// straight into dx (rows of stride T·D), one full-K product per row whoever computes it.
inline void dx_rows(const IsaTable& t, const SeqCtx& c, int G, const float* wt, int k, int b0, int b1) {
  if (c.D == 0 || b1 <= b0) return;
  const int GH = G * c.H;
  gate_panels(t, b1 - b0, GH, c.gates + ((size_t)k * c.B + b0) * GH, GH, wt, GH, 0, c.D, c.D,
              c.dx + ((size_t)b0 * c.T + c.time_of(k)) * c.D, c.T * c.D, false);
}

// ∂x of every step after the loop, steps split over the pool (units mode).
inline void dx_all(const IsaTable& t, const SeqCtx& c, int G, const float* wt, Pool& pool) {
  pool.run([&](int tid, int nt) {
    int k0, k1;
    split_range(c.T, nt, tid, 1, k0, k1);
    for (int k = k0; k < k1; k++) dx_rows(t, c, G, wt, k, 0, c.B);
  });
}

}  // namespace regulab
