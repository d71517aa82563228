// Max and average pooling (NHWC) and their gradients, as tfjs's CPU kernels compute them and bit
// for bit (src/fused/cpu-pool-kernels.ts has the same passes in JavaScript, the fallback):
//   max      y = max over the window's pixels inside x (strict >, from −∞, so NaN is skipped)
//   avg      y = (Σ over the window's pixels inside x, in double, rows then columns) / their count
//   max grad dx[p] = Σ dy[w] over the windows w whose first maximum is p (double, windows in order)
//   avg grad dx[p] = (Σ dy[w] over the windows w covering p) · 1/(fh·fw)
// The channel axis is innermost in every loop (it vectorises). Forward passes split the output
// rows over the threads, gradients whole images (a pixel's windows all lie in its image), and each
// output element is computed by one thread in one fixed order: the same bits on any thread count.
#include "pool.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "common.h"
#include "thread_pool.h"

namespace regulab {

namespace {

// Window i covers [lo[i], hi[i]) of an axis of `size` (clipped).
struct Span {
  std::vector<int> lo, hi;
  Span(int out, int stride, int pad, int filter, int size) : lo(out), hi(out) {
    for (int i = 0; i < out; i++) {
      lo[i] = std::max(0, i * stride - pad);
      hi[i] = std::min(size, i * stride - pad + filter);
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

void max_rows(const ConvGeom& g, const Span& R, const Span& Cs, const float* x, float* y, int row0, int row1) {
  const int C = g.C;
  for (int row = row0; row < row1; row++) {
    const int n = row / g.OH, i = row % g.OH;
    for (int j = 0; j < g.OW; j++) {
      float* o = y + ((size_t)row * g.OW + j) * C;
      for (int ch = 0; ch < C; ch++) o[ch] = kNegInf;
      for (int r = R.lo[i]; r < R.hi[i]; r++)
        for (int c = Cs.lo[j]; c < Cs.hi[j]; c++) {
          const float* s = x + (((size_t)n * g.H + r) * g.W + c) * C;
          for (int ch = 0; ch < C; ch++) o[ch] = s[ch] > o[ch] ? s[ch] : o[ch];
        }
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

// Adds dy of each window of image n to its first maximum (offset within the image) in acc.
template <typename Acc>
void scatter_max(const ConvGeom& g, const Span& R, const Span& Cs, const float* x, const float* dy, int n, Acc* acc,
                 float* best, long* at) {
  const int C = g.C;
  const float* xi = x + (size_t)n * g.H * g.W * C;
  for (int i = 0; i < g.OH; i++)
    for (int j = 0; j < g.OW; j++) {
      const float* d = dy + (((size_t)n * g.OH + i) * g.OW + j) * C;
      for (int ch = 0; ch < C; ch++) best[ch] = kNegInf, at[ch] = -1;
      for (int r = R.lo[i]; r < R.hi[i]; r++)
        for (int c = Cs.lo[j]; c < Cs.hi[j]; c++) {
          const long s = ((long)r * g.W + c) * C;
          for (int ch = 0; ch < C; ch++)
            if (xi[s + ch] > best[ch]) best[ch] = xi[s + ch], at[ch] = s + ch;
        }
      for (int ch = 0; ch < C; ch++)
        if (at[ch] >= 0) acc[at[ch]] += d[ch];
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

// dx of images [n0, n1): zeroed, scattered into (floats when no pixel has two windows, else a
// double buffer of one image, from per-thread scratch), then scaled (avg) and stored.
void grad_images(int op, const ConvGeom& g, const Span& R, const Span& Cs, const float* a, const float* b, float* dx,
                 int n0, int n1) {
  const size_t image = (size_t)g.H * g.W * g.C;
  const bool overlap = g.SH < g.KH || g.SW < g.KW;
  const bool is_max = op == abi::POOL_MAX_POOL_GRAD;
  const double scale = 1.0 / ((double)g.KH * g.KW);
  std::vector<float> best(is_max ? g.C : 0);
  std::vector<long> at(is_max ? g.C : 0);
  double* wide = overlap ? reinterpret_cast<double*>(scratch(15, 2 * image)) : nullptr;
  for (int n = n0; n < n1; n++) {
    float* d = dx + (size_t)n * image;
    if (overlap) {
      std::fill(wide, wide + image, 0.0);
      if (is_max)
        scatter_max(g, R, Cs, a, b, n, wide, best.data(), at.data());
      else
        scatter_avg(g, R, Cs, a, n, wide);
      if (is_max)
        for (size_t p = 0; p < image; p++) d[p] = (float)wide[p];
      else
        for (size_t p = 0; p < image; p++) d[p] = (float)(wide[p] * scale);
    } else {
      std::fill(d, d + image, 0.f);
      if (is_max) {
        scatter_max(g, R, Cs, a, b, n, d, best.data(), at.data());
      } else {
        scatter_avg(g, R, Cs, a, n, d);
        for (size_t p = 0; p < image; p++) d[p] = (float)((double)d[p] * scale);
      }
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
