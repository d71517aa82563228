// Dense matrix products for the whole-sequence parts of the fused ops (input projection, weight
// gradients) and for tfjs's MatMul: B is packed into column panels per K-block, A is read in place
// with broadcast loads, the work is split over the pool by column panels (or rows when N is small).
#include <algorithm>
#include <vector>

#include "common.h"
#include "thread_pool.h"

namespace regulab {

size_t packed_size(int K, int N, int nr) { return (size_t)((N + nr - 1) / nr) * nr * (size_t)K; }

// d[0, n) = s[0, n) for the panel widths of the ISAs (8, 16, 32) as fixed-length loops; a call to
// memmove per 128-byte row of a panel cost more than the copy.
static inline void copy_fixed(int n, const float* s, float* d) {
  switch (n) {
    case 32:
      for (int c = 0; c < 32; c++) d[c] = s[c];
      return;
    case 16:
      for (int c = 0; c < 16; c++) d[c] = s[c];
      return;
    case 8:
      for (int c = 0; c < 8; c++) d[c] = s[c];
      return;
    default:
      std::copy(s, s + n, d);
  }
}

// Packs B's columns into panels of nr. Untransposed, B's rows are read whole, in order (one
// stream; reading a panel's strip of every row in turn left the prefetcher 4 KB strides). Transposed,
// each panel's nr source rows are read kt floats at a time into a tile and written out from it (a
// column-at-a-time gather touched nr lines 4 KB apart per element: one L1 set, thrashed).
void pack_b(int K, int N, const float* B, int ldb, bool transB, float* out, int nr) {
  const int panels = (N + nr - 1) / nr;
  if (!transB) {
    for (int p = 0; p < K; p++) {
      const float* s = B + (size_t)p * ldb;
      const int full = N / nr;  // whole panels: a fixed-length copy the compiler inlines as vectors
      for (int q = 0; q < full; q++) copy_fixed(nr, s + q * nr, out + ((size_t)q * K + p) * nr);
      if (full < panels) {
        float* d = out + ((size_t)full * K + p) * nr;
        std::copy(s + full * nr, s + N, d);
        std::fill(d + (N - full * nr), d + nr, 0.f);
      }
    }
    return;
  }
  constexpr int kt = 16, max_nr = 64;
  float tile[max_nr][kt];
  for (int q = 0; q < panels; q++) {
    float* dst = out + (size_t)q * K * nr;
    const int n0 = q * nr, nv = std::min(nr, N - n0);
    for (int p0 = 0; p0 < K; p0 += kt) {
      const int pk = std::min(kt, K - p0);
      for (int c = 0; c < nv; c++) std::copy(B + (size_t)(n0 + c) * ldb + p0, B + (size_t)(n0 + c) * ldb + p0 + pk, tile[c]);
      for (int pp = 0; pp < pk; pp++) {
        float* d = dst + (size_t)(p0 + pp) * nr;
        for (int c = 0; c < nv; c++) d[c] = tile[c][pp];
        for (int c = nv; c < nr; c++) d[c] = 0.f;
      }
    }
  }
}

// Output rows [p_lo, p_hi) of the transpose, in 32×32 blocks.
static void transpose_rows(int M, int p_lo, int p_hi, const float* in, int ld, float* out) {
  const int bs = 32;
  for (int i0 = 0; i0 < M; i0 += bs)
    for (int p0 = p_lo; p0 < p_hi; p0 += bs)
      for (int i = i0; i < std::min(M, i0 + bs); i++)
        for (int p = p0; p < std::min(p_hi, p0 + bs); p++) out[(size_t)p * M + i] = in[(size_t)i * ld + p];
}

void transpose(int M, int K, const float* in, int ld, float* out) { transpose_rows(M, 0, K, in, ld, out); }

void transpose(int M, int K, const float* in, int ld, float* out, Pool& pool) {
  if (pool.size() == 1 || (size_t)M * K < 65536) return transpose(M, K, in, ld, out);
  pool.run([&](int tid, int nt) {
    int lo, hi;
    split_range(K, nt, tid, 32, lo, hi);
    transpose_rows(M, lo, hi, in, ld, out);
  });
}

static constexpr int KC = GEMM_KC;

// Single-threaded product over rows [m0, m1) and columns [n0, n1) (n0 a multiple of nr).
static void gemm_block(int m0, int m1, int n0, int n1, int K, const float* A, int lda, const float* B, int ldb,
                       bool transB, float* C, int ldc, bool accumulate) {
  const IsaTable& t = isa();
  const int nr = t.nr, N = n1 - n0;
  if (N <= 0 || m1 <= m0) return;
  if (K == 0) {
    if (!accumulate)
      for (int i = m0; i < m1; i++) std::fill(C + (size_t)i * ldc + n0, C + (size_t)i * ldc + n1, 0.f);
    return;
  }
  float* buf = scratch(11, packed_size(KC, N, nr));
  for (int p0 = 0; p0 < K; p0 += KC) {
    int kc = std::min(KC, K - p0);
    const float* Bs = transB ? B + (size_t)n0 * ldb + p0 : B + (size_t)p0 * ldb + n0;
    pack_b(kc, N, Bs, ldb, transB, buf, nr);
    bool acc = accumulate || p0 > 0;
    const int rows = 64;  // a row block of A stays in L1 while it sweeps the packed panels
    for (int i0 = m0; i0 < m1; i0 += rows) {
      int mi = std::min(rows, m1 - i0);
      for (int q = 0; q * nr < N; q++) {
        int nv = std::min(nr, N - q * nr);
        t.panel(mi, kc, A + (size_t)i0 * lda + p0, lda, buf + (size_t)q * kc * nr,
                C + (size_t)i0 * ldc + n0 + q * nr, ldc, acc, nv);
      }
    }
  }
}

void rows_to_panels(const float* src, int ld, int b0, int b1, int N, int nr, size_t K, size_t row0, float* dst) {
  const int panels = (N + nr - 1) / nr;
  for (int b = b0; b < b1; b++) {
    const float* s = src + (size_t)b * ld;
    for (int q = 0; q < panels; q++) {
      float* d = dst + (size_t)q * K * nr + (row0 + b) * nr;
      const int nv = std::min(nr, N - q * nr);
      std::copy(s + q * nr, s + q * nr + nv, d);
      std::fill(d + nv, d + nr, 0.f);
    }
  }
}

// Panels [q0, q1) of gemm_packed_b's product, on the calling thread.
static void packed_panels(int M, int N, int K, const float* A, int lda, const float* Bp, float* C, int ldc,
                          bool accumulate, int q0, int q1) {
  const IsaTable& t = isa();
  const int nr = t.nr;
  for (int p0 = 0; p0 < K; p0 += KC) {
    const int kc = std::min(KC, K - p0);
    const int rows = 64;
    for (int i0 = 0; i0 < M; i0 += rows) {
      const int mi = std::min(rows, M - i0);
      for (int q = q0; q < q1; q++)
        t.panel(mi, kc, A + (size_t)i0 * lda + p0, lda, Bp + (size_t)q * K * nr + (size_t)p0 * nr,
                C + (size_t)i0 * ldc + q * nr, ldc, accumulate || p0 > 0, std::min(nr, N - q * nr));
    }
  }
}

void gemm_packed_b(int M, int N, int K, const float* A, int lda, const float* Bp, float* C, int ldc, Pool& pool,
                   bool accumulate) {
  const int nr = isa().nr, panels = (N + nr - 1) / nr;
  pool.run([&](int tid, int nt) {
    int q0, q1;  // whole panels, as gemm's column split
    split_range(panels, nt, tid, 1, q0, q1);
    packed_panels(M, N, K, A, lda, Bp, C, ldc, accumulate, q0, q1);
  });
}

void gemm_packed_b_serial(int M, int N, int K, const float* A, int lda, const float* Bp, float* C, int ldc,
                          bool accumulate) {
  const int nr = isa().nr;
  packed_panels(M, N, K, A, lda, Bp, C, ldc, accumulate, 0, (N + nr - 1) / nr);
}

void gemm(int M, int N, int K, const float* A, int lda, const float* B, int ldb, bool transB, float* C, int ldc,
          bool accumulate, Pool& pool) {
  const int nr = isa().nr;
  const int threads = pool.size();
  const double flops = 2.0 * M * N * (double)K;
  // Columns keep each thread's packed B small; rows (for tall outputs) let each thread touch its
  // own pages of C, so first-touch page faults of a fresh output proceed in parallel (with columns
  // both threads fault the same pages, one waiting on the other).
  const bool split_n = N >= 2 * nr * threads && M < 2 * N;
  if (threads == 1 || flops < 2e5) {
    gemm_block(0, M, 0, N, K, A, lda, B, ldb, transB, C, ldc, accumulate);
    return;
  }
  pool.run([&](int tid, int nt) {
    int lo, hi;
    if (split_n) {
      split_range(N, nt, tid, nr, lo, hi);
      gemm_block(0, M, lo, hi, K, A, lda, B, ldb, transB, C, ldc, accumulate);
    } else {
      split_range(M, nt, tid, 8, lo, hi);
      gemm_block(lo, hi, 0, N, K, A, lda, B, ldb, transB, C, ldc, accumulate);
    }
  });
}

}  // namespace regulab
