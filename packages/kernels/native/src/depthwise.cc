// Depthwise 2-D convolution (NHWC, filter [KH, KW, C, M], output channel c·M + q) and both its
// gradients, as direct loops with the channel axis innermost (it vectorises):
//   forward          y[n, i, j, c·M + q] = Σ_{kh, kw} x[n, i·SH + kh·DH − PT, j·SW + kw·DW − PL, c] · f[kh, kw, c, q]
//   input gradient   dx[n, h, w, c] = Σ over the taps (kh, kw) whose output pixel exists, in (kh, kw)
//                    order, of Σ_q dy[n, oh, ow, c·M + q] · f[kh, kw, c, q]
//   filter gradient  df[kh, kw, c, q] = Σ_{n, oh, ow} x[n, ih, iw, c] · dy[n, oh, ow, c·M + q], each
//                    output row summed in float and the rows added in double, in (n, oh) order
// Threads split output rows (forward), input pixels (input gradient) or filter taps (filter
// gradient); every output element is computed by one thread in one fixed order, so the results
// are the same bits on any number of threads. src/fused/js-depthwise.ts is the same in JavaScript.
#include "depthwise.h"

#include <algorithm>
#include <vector>

#include "common.h"
#include "thread_pool.h"

namespace regulab {

namespace {

template <typename F>
void split(Pool& pool, long n, long work, F fn) {
  if (pool.size() == 1 || work < 65536 || n < 2) return fn(0, (int)n);
  pool.run([&](int tid, int nt) {
    int lo, hi;
    split_range((int)n, nt, tid, 1, lo, hi);
    if (lo < hi) fn(lo, hi);
  });
}

// o[c·M + q] (+)= s[c] · f[c·M + q] over the C input channels.
inline void mul_add(const float* s, const float* f, float* o, int C, int M) {
  if (M == 1) {
    for (int c = 0; c < C; c++) o[c] += s[c] * f[c];
  } else {
    for (int c = 0; c < C; c++)
      for (int q = 0; q < M; q++) o[c * M + q] += s[c] * f[c * M + q];
  }
}

void forward_rows(const ConvGeom& g, const float* x, const float* f, float* y, int row0, int row1) {
  const int C = g.C, OC = g.OC, M = OC / std::max(C, 1);
  for (int row = row0; row < row1; row++) {
    const int n = row / g.OH, i = row % g.OH;
    for (int j = 0; j < g.OW; j++) {
      float* o = y + ((size_t)row * g.OW + j) * OC;
      std::fill(o, o + OC, 0.f);
      for (int kh = 0; kh < g.KH; kh++) {
        const int ih = i * g.SH + kh * g.DH - g.PT;
        if (ih < 0 || ih >= g.H) continue;
        for (int kw = 0; kw < g.KW; kw++) {
          const int iw = j * g.SW + kw * g.DW - g.PL;
          if (iw < 0 || iw >= g.W) continue;
          mul_add(x + (((size_t)n * g.H + ih) * g.W + iw) * C, f + (size_t)(kh * g.KW + kw) * OC, o, C, M);
        }
      }
    }
  }
}

void backprop_input_pixels(const ConvGeom& g, const float* dy, const float* f, float* dx, long p0, long p1) {
  const int C = g.C, OC = g.OC, M = OC / std::max(C, 1);
  for (long p = p0; p < p1; p++) {
    const int iw = (int)(p % g.W), ih = (int)((p / g.W) % g.H), n = (int)(p / ((long)g.W * g.H));
    float* d = dx + (size_t)p * C;
    std::fill(d, d + C, 0.f);
    for (int kh = 0; kh < g.KH; kh++) {
      const int th = ih + g.PT - kh * g.DH;
      if (th < 0 || th % g.SH != 0 || th / g.SH >= g.OH) continue;
      for (int kw = 0; kw < g.KW; kw++) {
        const int tw = iw + g.PL - kw * g.DW;
        if (tw < 0 || tw % g.SW != 0 || tw / g.SW >= g.OW) continue;
        const float* s = dy + (((size_t)n * g.OH + th / g.SH) * g.OW + tw / g.SW) * OC;
        const float* w = f + (size_t)(kh * g.KW + kw) * OC;
        if (M == 1) {
          for (int c = 0; c < C; c++) d[c] += s[c] * w[c];
        } else {
          for (int c = 0; c < C; c++) {
            float t = 0.f;
            for (int q = 0; q < M; q++) t += s[c * M + q] * w[c * M + q];
            d[c] += t;
          }
        }
      }
    }
  }
}

void backprop_filter_taps(const ConvGeom& g, const float* x, const float* dy, float* df, int t0, int t1) {
  const int C = g.C, OC = g.OC, M = OC / std::max(C, 1);
  std::vector<float> row(OC);
  std::vector<double> acc(OC);
  for (int t = t0; t < t1; t++) {
    const int kh = t / g.KW, kw = t % g.KW;
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int n = 0; n < g.N; n++)
      for (int oh = 0; oh < g.OH; oh++) {
        const int ih = oh * g.SH + kh * g.DH - g.PT;
        if (ih < 0 || ih >= g.H) continue;
        std::fill(row.begin(), row.end(), 0.f);
        for (int ow = 0; ow < g.OW; ow++) {
          const int iw = ow * g.SW + kw * g.DW - g.PL;
          if (iw < 0 || iw >= g.W) continue;
          const float* s = x + (((size_t)n * g.H + ih) * g.W + iw) * C;
          const float* d = dy + (((size_t)n * g.OH + oh) * g.OW + ow) * OC;
          if (M == 1) {
            for (int c = 0; c < C; c++) row[c] += s[c] * d[c];
          } else {
            for (int c = 0; c < C; c++)
              for (int q = 0; q < M; q++) row[c * M + q] += s[c] * d[c * M + q];
          }
        }
        for (int o = 0; o < OC; o++) acc[o] += row[o];
      }
    float* out = df + (size_t)t * OC;
    for (int o = 0; o < OC; o++) out[o] = (float)acc[o];
  }
}

}  // namespace

void depthwise2d(int op, const ConvGeom& g, const float* a, const float* b, float* out, Pool& pool) {
  const long work = (long)g.N * g.OH * g.OW * g.OC * g.KH * g.KW;
  switch (op) {
    case abi::DEPTHWISE_FORWARD:
      split(pool, (long)g.N * g.OH, work, [&](int lo, int hi) { forward_rows(g, a, b, out, lo, hi); });
      break;
    case abi::DEPTHWISE_BACKPROP_INPUT:
      split(pool, (long)g.N * g.H * g.W, work,
            [&](int lo, int hi) { backprop_input_pixels(g, a, b, out, lo, hi); });
      break;
    default:
      split(pool, (long)g.KH * g.KW, work, [&](int lo, int hi) { backprop_filter_taps(g, a, b, out, lo, hi); });
  }
}

}  // namespace regulab
