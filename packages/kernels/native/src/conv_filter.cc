// The filter gradient of the 2-D convolution (conv.h; col as in conv.cc's file comment):
//   dFᵀ [OC, K] = dyᵀ · col, transposed into dF [K, OC]   when K fills the GEMM's panels
//   dF  [K, OC] = colᵀ · dy                                otherwise (a few filter rows: one channel)
//   dFᵀ         = dyᵀ · x                                  for a 1×1 filter (col is x)
// In the first form col is never stored whole: each thread takes whole panels (nr columns of col),
// and for each GEMM K block (GEMM_KC rows of col) gathers its panels' columns of those rows from
// x into a packed block (L2-sized) that IsaTable::panel reads at once. The K blocks are gemm's,
// restarting at every chunk of images as gemm_packed_b's did: the same sums in the same order,
// so the same bits as gemm, on any number of threads.
#include <algorithm>
#include <vector>

#include "common.h"
#include "conv.h"
#include "conv_im2col.h"
#include "thread_pool.h"

namespace regulab {

namespace {

// colᵀ [K, rows] of the images from n0: colT[k·rows + r] = col[r][k], built one tap row at a
// time (for a single channel, runs of x's rows), threads splitting the taps. The filter gradient
// then reads it as A in dF = colᵀ · dy, so neither col nor dy is transposed.
void im2col_transposed(const ConvGeom& g, const float* x, int n0, long rows, float* colT, Pool& pool) {
  const int K = g.K(), C = g.C;
  auto taps = [&](int k0, int k1) {
    for (int k = k0; k < k1; k++) {
      const int c = k % C, kw = (k / C) % g.KW, kh = k / (C * g.KW);
      float* d = colT + (size_t)k * rows;
      for (long r = 0; r < rows; r += g.OW) {
        const int oh = (int)((r / g.OW) % g.OH), n = n0 + (int)(r / ((long)g.OW * g.OH));
        const int ih = oh * g.SH + kh * g.DH - g.PT;
        float* o = d + r;
        if (ih < 0 || ih >= g.H) {
          std::fill(o, o + g.OW, 0.f);
          continue;
        }
        const float* src = x + ((size_t)n * g.H + ih) * g.W * C + c;
        for (int ow = 0; ow < g.OW; ow++) {
          const int iw = ow * g.SW + kw * g.DW - g.PL;
          o[ow] = iw >= 0 && iw < g.W ? src[(size_t)iw * C] : 0.f;
        }
      }
    }
  };
  if (pool.size() == 1 || rows * K < 65536) return taps(0, K);
  pool.run([&](int tid, int nt) {
    int lo, hi;
    split_range(K, nt, tid, 1, lo, hi);
    taps(lo, hi);
  });
}

// col[r][c0, c1) for chunk row r (row 0 = image n0's first output pixel) into out: per tap, the
// run of its channels that falls in [c0, c1), copied from x or zero in the padding.
void im2col_columns(const ConvGeom& g, const float* x, int n0, long r, int c0, int c1, float* out) {
  const int C = g.C;
  const int ow = (int)(r % g.OW), oh = (int)((r / g.OW) % g.OH), n = n0 + (int)(r / ((long)g.OW * g.OH));
  for (int j = c0; j < c1;) {
    const int tap = j / C, c = j % C, len = std::min(C - c, c1 - j);
    const int kh = tap / g.KW, kw = tap % g.KW;
    const int ih = oh * g.SH + kh * g.DH - g.PT, iw = ow * g.SW + kw * g.DW - g.PL;
    float* d = out + (j - c0);
    if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W)
      std::fill(d, d + len, 0.f);
    else
      copy_run(x + (((size_t)n * g.H + ih) * g.W + iw) * C + c, len, d);
    j += len;
  }
}

// Whether the filter gradient streams col as packed panels: when few of the panels' columns are
// padding (K a multiple of the panel width, or at least four panels). A single-channel 3×3 filter
// (K = 9) takes colᵀ instead: its panel would be 32 wide, 23 of them zeros.
bool col_as_panels(const ConvGeom& g) {
  const int nr = isa().nr;
  return g.K() % nr == 0 || g.K() >= 4 * nr;
}

// dFᵀ (+)= dyT · col over one chunk of `rows` rows from image n0, col streamed (file comment).
void streamed_product(const ConvGeom& g, const float* x, int n0, long rows, const float* dyT, float* dfT,
                      bool accumulate, Pool& pool) {
  const IsaTable& t = isa();
  const int K = g.K(), nr = t.nr, panels = (K + nr - 1) / nr;
  pool.run([&](int tid, int nt) {
    int q0, q1;
    split_range(panels, nt, tid, 1, q0, q1);
    if (q0 >= q1) return;
    const int c0 = q0 * nr, c1 = std::min(K, q1 * nr), width = c1 - c0;
    std::vector<float> block((size_t)(q1 - q0) * GEMM_KC * nr), row(width);
    for (long p0 = 0; p0 < rows; p0 += GEMM_KC) {
      const int kc = (int)std::min<long>(GEMM_KC, rows - p0);
      for (int rr = 0; rr < kc; rr++) {  // rows p0 + rr of col, this thread's columns, into the panels
        im2col_columns(g, x, n0, p0 + rr, c0, c1, row.data());
        for (int q = q0; q < q1; q++) {
          const int nv = std::min(nr, K - q * nr);
          float* d = block.data() + ((size_t)(q - q0) * kc + rr) * nr;
          std::copy(row.data() + (q * nr - c0), row.data() + (q * nr - c0) + nv, d);
          std::fill(d + nv, d + nr, 0.f);
        }
      }
      for (int q = q0; q < q1; q++)
        for (int i0 = 0; i0 < g.OC; i0 += 64)
          t.panel(std::min(64, g.OC - i0), kc, dyT + (size_t)i0 * rows + p0, (int)rows,
                  block.data() + (size_t)(q - q0) * kc * nr, dfT + (size_t)i0 * K + q * nr, K, accumulate || p0 > 0,
                  std::min(nr, K - q * nr));
    }
  });
}

}  // namespace

void conv2d_backprop_filter(const ConvGeom& g, const float* x, const float* dy, float* dfilter, Pool& pool) {
  const int K = g.K();
  const long image_rows = (long)g.OH * g.OW;
  const int chunk = images_per_chunk(g);
  const bool direct = col_is_input(g);
  if (!direct && !col_as_panels(g)) {  // few filter rows (K): dF [K, OC] = colᵀ · dy, nothing transposed
    float* colT = scratch(12, (size_t)chunk * image_rows * K);
    for (int n0 = 0; n0 < g.N; n0 += chunk) {
      const long rows = std::min(chunk, g.N - n0) * image_rows;
      im2col_transposed(g, x, n0, rows, colT, pool);
      gemm(K, g.OC, (int)rows, colT, (int)rows, dy + (size_t)n0 * image_rows * g.OC, g.OC, false, dfilter, g.OC,
           n0 > 0, pool);
    }
    if (g.N == 0) std::fill(dfilter, dfilter + (size_t)g.OC * K, 0.f);
    return;
  }
  float* dyT = scratch(13, (size_t)chunk * image_rows * g.OC);
  float* dfT = scratch(14, (size_t)g.OC * K);
  for (int n0 = 0; n0 < g.N; n0 += chunk) {
    const long rows = std::min(chunk, g.N - n0) * image_rows;
    transpose((int)rows, g.OC, dy + (size_t)n0 * image_rows * g.OC, g.OC, dyT, pool);
    if (direct)
      gemm(g.OC, K, (int)rows, dyT, (int)rows, x + (size_t)n0 * image_rows * K, K, false, dfT, K, n0 > 0, pool);
    else
      streamed_product(g, x, n0, rows, dyT, dfT, n0 > 0, pool);
  }
  if (g.N == 0) std::fill(dfT, dfT + (size_t)g.OC * K, 0.f);
  transpose(g.OC, K, dfT, K, dfilter);
}

}  // namespace regulab
