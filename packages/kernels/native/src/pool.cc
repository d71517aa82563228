// Max and average pooling (NHWC) and their gradients, as tfjs's CPU kernels compute them and bit
// for bit (src/fused/js-pool.ts has the same passes in JavaScript, the fallback):
//   max      y = max over the window's pixels inside x (strict >, from −∞, so NaN is skipped)
//   avg      y = (Σ over the window's pixels inside x, in double, rows then columns) / their count
//   max grad dx[p] = Σ dy[w] over the windows w whose first maximum is p (double, windows in order)
//   avg grad dx[p] = (Σ dy[w] over the windows w covering p) · 1/(fh·fw)
// The channel axis is innermost in every loop (it vectorises); the max passes take it in chunks of
// kChunk channels whose maxima stay in registers, and pick without data-dependent branches. When
// no pixel lies in two windows (stride ≥ window) the max gradient is written, not scattered: per
// window, its maximum m, then dy at the first pixel equal to m (none when m = −∞) and +0 elsewhere.
// Forward passes split the output rows over the threads, gradients whole images (a pixel's windows
// all lie in its image), and each output element is computed by one thread in one fixed order:
// the same bits on any thread count.
#include "pool.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "common.h"
#include "thread_pool.h"

namespace regulab {

namespace {

// Window i covers [lo[i], hi[i]) of an axis of `size` (clipped); `covered` sums their lengths (the
// positions in some window, when no two windows overlap).
struct Span {
  std::vector<int> lo, hi;
  int covered = 0;
  Span(int out, int stride, int pad, int filter, int size) : lo(out), hi(out) {
    for (int i = 0; i < out; i++) {
      lo[i] = std::max(0, i * stride - pad);
      hi[i] = std::min(size, i * stride - pad + filter);
      covered += std::max(0, hi[i] - lo[i]);
    }
  }
};

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// Runs fn(lo, hi) over [0, n) split across the pool (serially when small).
template <typename F>
void split(Pool& pool, long n, long work, F fn) {
  if (pool.size() == 1 || work < 65536 || n < 2) return fn(0, (int)n);
  pool.run([&](int tid, int nt) {
    int lo, hi;
    split_range((int)n, nt, tid, 1, lo, hi);
    if (lo < hi) fn(lo, hi);
  });
}

typedef float v4 __attribute__((vector_size(16)));  // GCC/clang vector extensions, as in kernels.inc
typedef int v4i __attribute__((vector_size(16)));
template <typename V> inline V ld(const float* p) { V v; std::memcpy(&v, p, sizeof v); return v; }
template <typename V> inline void st(float* p, V v) { std::memcpy(p, &v, sizeof v); }

// K vectors V (v4 or float) of channels, kept in registers: kChunk = 16 channels at most. Idx: ints
// of V's shape (a pixel index per channel).
template <typename V, int K>
struct Chunk {
  using Vec = V;
  using Idx = std::conditional_t<std::is_same<V, float>::value, int, v4i>;
  static constexpr int count = K, lanes = sizeof(V) / sizeof(float), width = K * lanes;
};
constexpr int kChunk = 16;

// fn(ch, Chunk, fresh) over chunks covering channels [0, C): kChunk at a time, narrower when
// C < kChunk; the last one moved back to end at C, its channels below `fresh` done already (their
// outputs rewritten with the same bits, or, by scatter_max, skipped).
template <typename F>
void chunks(int C, F fn) {
  auto run = [&](auto chunk) {
    constexpr int w = decltype(chunk)::width;
    for (int fresh = 0; fresh < C; fresh += w) fn(std::min(fresh, C - w), chunk, fresh);
  };
  if (C >= kChunk) run(Chunk<v4, kChunk / 4>{});
  else if (C >= 4) run(Chunk<v4, 1>{});
  else run(Chunk<float, 1>{});
}

// m = max over the pixels of window rows [r0, r1) × columns [c0, c1) of the chunk's channels of x
// (x at the chunk's first channel in its image), in window order, strict > from −∞ (NaN skipped);
// with `at`, also the pixel r·W + c where each channel's maximum was taken (−1 for none).
template <typename V, int K>
inline void window_max(const float* x, const ConvGeom& g, int r0, int r1, int c0, int c1, Chunk<V, K>, V* m,
                       typename Chunk<V, K>::Idx* at = nullptr) {
  using I = typename Chunk<V, K>::Idx;
  for (int k = 0; k < K; k++) m[k] = V{} + kNegInf;
  if (at) std::fill_n(at, K, I{} - 1);
  for (int r = r0; r < r1; r++)
    for (int c = c0; c < c1; c++) {
      const int px = r * g.W + c;
      for (int k = 0; k < K; k++) {
        const V v = ld<V>(x + (size_t)px * g.C + k * Chunk<V, K>::lanes);
        const auto gt = v > m[k];
        m[k] = gt ? v : m[k];
        if (at) at[k] = gt ? I{} + px : at[k];
      }
    }
}

void max_rows(const ConvGeom& g, const Span& R, const Span& Cs, const float* x, float* y, int row0, int row1) {
  for (int row = row0; row < row1; row++) {
    const int n = row / g.OH, i = row % g.OH;
    const float* xi = x + (size_t)n * g.H * g.W * g.C;
    for (int j = 0; j < g.OW; j++) {
      float* o = y + ((size_t)row * g.OW + j) * g.C;
      chunks(g.C, [&](int ch, auto chunk, int) {
        using Ch = decltype(chunk);
        typename Ch::Vec m[Ch::count];
        window_max(xi + ch, g, R.lo[i], R.hi[i], Cs.lo[j], Cs.hi[j], chunk, m);
        for (int k = 0; k < Ch::count; k++) st(o + ch + k * Ch::lanes, m[k]);
      });
    }
  }
}

void avg_rows(const ConvGeom& g, const Span& R, const Span& Cs, const float* x, float* y, int row0, int row1) {
  const int C = g.C;
  std::vector<double> acc(C);
  for (int row = row0; row < row1; row++) {
    const int n = row / g.OH, i = row % g.OH;
    for (int j = 0; j < g.OW; j++) {
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int r = R.lo[i]; r < R.hi[i]; r++)
        for (int c = Cs.lo[j]; c < Cs.hi[j]; c++) {
          const float* s = x + (((size_t)n * g.H + r) * g.W + c) * C;
          for (int ch = 0; ch < C; ch++) acc[ch] += s[ch];
        }
      const double count = (double)(R.hi[i] - R.lo[i]) * (Cs.hi[j] - Cs.lo[j]);
      float* o = y + ((size_t)row * g.OW + j) * C;
      for (int ch = 0; ch < C; ch++) o[ch] = (float)(acc[ch] / count);
    }
  }
}

// Adds dy of each window of image n to its first maximum in acc (one image, double).
void scatter_max(const ConvGeom& g, const Span& R, const Span& Cs, const float* x, const float* dy, int n, double* acc) {
  const size_t C = g.C;
  const float* xi = x + n * (size_t)g.H * g.W * C;
  for (int i = 0; i < g.OH; i++)
    for (int j = 0; j < g.OW; j++) {
      const float* d = dy + (((size_t)n * g.OH + i) * g.OW + j) * C;
      chunks(g.C, [&](int ch, auto chunk, int fresh) {
        using Ch = decltype(chunk);
        typename Ch::Vec m[Ch::count];
        typename Ch::Idx at[Ch::count];
        window_max(xi + ch, g, R.lo[i], R.hi[i], Cs.lo[j], Cs.hi[j], chunk, m, at);
        int a[Ch::width];  // channel ch + l's pixel
        std::memcpy(a, at, sizeof a);
        for (int l = std::max(0, fresh - ch); l < Ch::width; l++)
          if (a[l] >= 0) acc[a[l] * C + ch + l] += d[ch + l];
      });
    }
}

// dx of image n when no pixel lies in two windows: dy of each window at its first maximum, +0 at its
// other pixels and at those of no window (the whole image zeroed first when there are some).
void max_grad_disjoint(const ConvGeom& g, const Span& R, const Span& Cs, const float* x, const float* dy, int n,
                       float* dx) {
  const size_t C = g.C, image = (size_t)g.H * g.W * C;
  const float* xi = x + n * image;
  float* di = dx + n * image;
  if (R.covered < g.H || Cs.covered < g.W) std::fill_n(di, image, 0.f);
  for (int i = 0; i < g.OH; i++)
    for (int j = 0; j < g.OW; j++) {
      const float* d = dy + (((size_t)n * g.OH + i) * g.OW + j) * C;
      chunks(g.C, [&](int ch, auto chunk, int) {
        using Ch = decltype(chunk);
        using V = typename Ch::Vec;
        V m[Ch::count];
        window_max(xi + ch, g, R.lo[i], R.hi[i], Cs.lo[j], Cs.hi[j], chunk, m);
        // m = NaN (equal to no pixel) once taken, and from the start in a window of −∞ and NaN only
        const V none = V{} + std::numeric_limits<float>::quiet_NaN(), zero = V{};
        for (int k = 0; k < Ch::count; k++) m[k] = m[k] > V{} + kNegInf ? m[k] : none;
        for (int r = R.lo[i]; r < R.hi[i]; r++)
          for (int c = Cs.lo[j]; c < Cs.hi[j]; c++) {
            const size_t p = ((size_t)r * g.W + c) * C + ch;
            for (int k = 0; k < Ch::count; k++) {
              const size_t q = p + k * Ch::lanes;
              const auto hit = ld<V>(xi + q) == m[k];
              st(di + q, (hit ? ld<V>(d + ch + k * Ch::lanes) : zero) + zero);  // + 0: −0 → +0, as 0 + dy
              m[k] = hit ? none : m[k];
            }
          }
      });
    }
}

// Adds dy of each window of image n to every pixel it covers in acc.
template <typename Acc>
void scatter_avg(const ConvGeom& g, const Span& R, const Span& Cs, const float* dy, int n, Acc* acc) {
  const int C = g.C;
  for (int i = 0; i < g.OH; i++)
    for (int j = 0; j < g.OW; j++) {
      const float* d = dy + (((size_t)n * g.OH + i) * g.OW + j) * C;
      for (int r = R.lo[i]; r < R.hi[i]; r++)
        for (int c = Cs.lo[j]; c < Cs.hi[j]; c++) {
          Acc* s = acc + ((size_t)r * g.W + c) * C;
          for (int ch = 0; ch < C; ch++) s[ch] += d[ch];
        }
    }
}

// dx of images [n0, n1). Max without overlap: max_grad_disjoint. Otherwise zeroed, scattered into
// (floats when no pixel has two windows, else a double buffer of one image, from per-thread
// scratch), then scaled (avg) and stored.
void grad_images(int op, const ConvGeom& g, const Span& R, const Span& Cs, const float* a, const float* b, float* dx,
                 int n0, int n1) {
  const size_t image = (size_t)g.H * g.W * g.C;
  const bool overlap = g.SH < g.KH || g.SW < g.KW;
  const bool is_max = op == abi::POOL_MAX_POOL_GRAD;
  const double scale = 1.0 / ((double)g.KH * g.KW);
  if (is_max && !overlap) {
    for (int n = n0; n < n1; n++) max_grad_disjoint(g, R, Cs, a, b, n, dx);
    return;
  }
  double* wide = overlap ? reinterpret_cast<double*>(scratch(15, 2 * image)) : nullptr;
  for (int n = n0; n < n1; n++) {
    float* d = dx + (size_t)n * image;
    if (overlap) {
      std::fill(wide, wide + image, 0.0);
      if (is_max) scatter_max(g, R, Cs, a, b, n, wide);
      else scatter_avg(g, R, Cs, a, n, wide);
      for (size_t p = 0; p < image; p++) d[p] = (float)(is_max ? wide[p] : wide[p] * scale);
    } else {
      std::fill(d, d + image, 0.f);
      scatter_avg(g, R, Cs, a, n, d);
      for (size_t p = 0; p < image; p++) d[p] = (float)((double)d[p] * scale);
    }
  }
}

}  // namespace

void pool2d(int op, const ConvGeom& g, const float* a, const float* b, float* out, Pool& pool) {
  const Span R(g.OH, g.SH, g.PT, g.KH, g.H), Cs(g.OW, g.SW, g.PL, g.KW, g.W);
  const long work = (long)g.N * g.OH * g.OW * g.C * g.KH * g.KW;
  switch (op) {
    case abi::POOL_MAX_POOL:
      split(pool, (long)g.N * g.OH, work, [&](int lo, int hi) { max_rows(g, R, Cs, a, out, lo, hi); });
      break;
    case abi::POOL_AVG_POOL:
      split(pool, (long)g.N * g.OH, work, [&](int lo, int hi) { avg_rows(g, R, Cs, a, out, lo, hi); });
      break;
    default:
      split(pool, g.N, work, [&](int lo, int hi) { grad_images(op, g, R, Cs, a, b, out, lo, hi); });
  }
}

}  // namespace regulab
