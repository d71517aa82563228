// 2-D convolution in NHWC on the packed GEMM (gemm.cc), for tfjs's Conv2D, Conv2DBackpropInput
// and Conv2DBackpropFilter kernels (src/fused/cpu-conv-kernels.ts). With col the im2col matrix
// [rows = N·OH·OW, K = KH·KW·C] (col[r][(kh·KW + kw)·C + c] = x[n, oh·SH + kh·DH − PT, ow·SW +
// kw·DW − PL, c], 0 in the padding) and the filter read as F [K, OC] (its own memory layout):
//   forward          y [rows, OC]  = col · F
//   input gradient   dx            = col2im(dy · Fᵀ)  (each input pixel gathers its taps)
//   filter gradient  dFᵀ [OC, K]   = dyᵀ · col, transposed into dF [K, OC], with col built directly
//                                   in the GEMM's packed panels (when K fills them: col_as_panels);
//                    dF [K, OC]    = colᵀ · dy otherwise (a few filter rows, e.g. one channel)
// col is built in chunks of whole images (at most ~16 MB), so the work buffer stays bounded and
// every chunk's gather stays inside it. Chunks, and the GEMM's own splits, do not depend on the
// thread count, and every output element is summed in one fixed order: the results are the same
// bits on any number of threads.
#include <algorithm>
#include <cstring>
#include <vector>

#include "common.h"
#include "conv.h"
#include "thread_pool.h"

namespace regulab {

namespace {

constexpr size_t kChunkFloats = size_t(1) << 22;  // col floats per chunk (16 MB)

// Images per chunk: as many as fit kChunkFloats of col (at least one).
int images_per_chunk(const ConvGeom& g) {
  size_t per_image = (size_t)g.OH * g.OW * g.K();
  return (int)std::max<size_t>(1, std::min<size_t>(g.N, kChunkFloats / std::max<size_t>(per_image, 1)));
}

// n floats from s to d: short runs (a single-channel input's taps) inline, long ones by memcpy.
inline void copy_run(const float* s, int n, float* d) {
  if (n <= 16)
    for (int i = 0; i < n; i++) d[i] = s[i];
  else
    std::memcpy(d, s, sizeof(float) * (size_t)n);
}

// col rows [r0, r1) of the images starting at image n0 (row 0 = image n0's first output pixel),
// row r at out + (r − r0)·K. The pixel indices advance with the row (no division per row), and with unit dilation along the
// width a kernel row's in-bounds taps are one contiguous run of x, copied at once.
void im2col_rows(const ConvGeom& g, const float* x, int n0, long r0, long r1, float* out) {
  const int K = g.K(), C = g.C;
  int ow = (int)(r0 % g.OW), oh = (int)((r0 / g.OW) % g.OH), n = n0 + (int)(r0 / ((long)g.OW * g.OH));
  for (long r = r0; r < r1; r++) {
    float* dst = out + (size_t)(r - r0) * K;
    const int iw0 = ow * g.SW - g.PL;
    // taps [kw0, kw1) of a kernel row lie inside the width
    int kw0 = 0, kw1 = g.KW;
    if (g.DW == 1) {
      kw0 = std::max(0, -iw0);
      kw1 = std::min(g.KW, g.W - iw0);
      kw1 = std::max(kw0, kw1);
    }
    for (int kh = 0; kh < g.KH; kh++) {
      const int ih = oh * g.SH + kh * g.DH - g.PT;
      float* d = dst + kh * g.KW * C;
      if (ih < 0 || ih >= g.H) {
        std::fill(d, d + g.KW * C, 0.f);
        continue;
      }
      const float* row = x + ((size_t)n * g.H + ih) * g.W * C;
      if (g.DW == 1 && kw0 == 0 && kw1 == g.KW) {  // the common, interior case: one run
        copy_run(row + (size_t)iw0 * C, g.KW * C, d);
        continue;
      }
      if (g.DW == 1) {
        std::fill(d, d + kw0 * C, 0.f);
        copy_run(row + (size_t)(iw0 + kw0) * C, (kw1 - kw0) * C, d + kw0 * C);
        std::fill(d + kw1 * C, d + g.KW * C, 0.f);
        continue;
      }
      for (int kw = 0; kw < g.KW; kw++) {
        const int iw = iw0 + kw * g.DW;
        if (iw < 0 || iw >= g.W)
          std::fill(d + kw * C, d + (kw + 1) * C, 0.f);
        else
          copy_run(row + (size_t)iw * C, C, d + kw * C);
      }
    }
    if (++ow == g.OW) {
      ow = 0;
      if (++oh == g.OH) oh = 0, n++;
    }
  }
}

void im2col(const ConvGeom& g, const float* x, int n0, long rows, float* col, Pool& pool) {
  if (pool.size() == 1 || rows * g.K() < 65536) return im2col_rows(g, x, n0, 0, rows, col);
  pool.run([&](int tid, int nt) {
    int lo, hi;
    split_range((int)rows, nt, tid, 1, lo, hi);
    im2col_rows(g, x, n0, lo, hi, col + (size_t)lo * g.K());
  });
}

// The im2col rows of im2col(), written straight into pack_b's panels of the whole chunk (K = rows
// of the chunk): the filter gradient's product reads col as its packed B, so this saves writing
// col and then packing it. Each row is gathered into a small buffer first.
void im2col_panels(const ConvGeom& g, const float* x, int n0, long rows, float* panels, Pool& pool) {
  const int K = g.K(), nr = isa().nr;
  auto some = [&](long r0, long r1) {
    std::vector<float> row(K);
    for (long r = r0; r < r1; r++) {
      im2col_rows(g, x, n0, r, r + 1, row.data());
      rows_to_panels(row.data(), K, 0, 1, K, nr, (size_t)rows, (size_t)r, panels);
    }
  };
  if (pool.size() == 1 || rows * K < 65536) return some(0, rows);
  pool.run([&](int tid, int nt) {
    int lo, hi;
    split_range((int)rows, nt, tid, 1, lo, hi);
    some(lo, hi);
  });
}

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

// Whether the filter gradient builds col as packed panels: when few of the panels' columns are
// padding (K a multiple of the panel width, or at least four panels). A single-channel 3×3 filter
// (K = 9) keeps the plain col: its panel would be 32 wide, 23 of them zeros.
bool col_as_panels(const ConvGeom& g) {
  const int nr = isa().nr;
  return g.K() % nr == 0 || g.K() >= 4 * nr;
}

// Whether col is x itself: a 1×1 filter, unit strides, no padding.
bool col_is_input(const ConvGeom& g) {
  return g.KH == 1 && g.KW == 1 && g.SH == 1 && g.SW == 1 && g.PT == 0 && g.PL == 0 && g.OH == g.H && g.OW == g.W;
}

// The output index o with o·stride = t (t = input index + padding − tap offset), or −1 when there
// is none (t negative or not a multiple of the stride, or o past the output's size); unit strides
// skip the division.
inline int tap_output(int t, int stride, int out) {
  if (t < 0) return -1;
  const int o = stride == 1 ? t : (t % stride != 0 ? -1 : t / stride);
  return o < out ? o : -1;
}

// dx pixels [p0, p1) of the images from n0 (pixel 0 = image n0's first input pixel), each the sum
// over the taps (kh, kw) whose output pixel exists of dcol's entries for it, in (kh, kw) order.
void col2im_pixels(const ConvGeom& g, const float* dcol, int n0, long p0, long p1, float* dx) {
  const int K = g.K(), C = g.C;
  int iw = (int)(p0 % g.W), ih = (int)((p0 / g.W) % g.H), n = (int)(p0 / ((long)g.W * g.H));
  for (long p = p0; p < p1; p++) {
    float* d = dx + ((size_t)(n0 + n) * g.H * g.W + (size_t)ih * g.W + iw) * C;
    for (int c = 0; c < C; c++) d[c] = 0.f;
    for (int kh = 0; kh < g.KH; kh++) {
      const int oh = tap_output(ih + g.PT - kh * g.DH, g.SH, g.OH);
      if (oh < 0) continue;
      for (int kw = 0; kw < g.KW; kw++) {
        const int ow = tap_output(iw + g.PL - kw * g.DW, g.SW, g.OW);
        if (ow < 0) continue;
        const float* s = dcol + (((size_t)n * g.OH + oh) * g.OW + ow) * K + (kh * g.KW + kw) * C;
        for (int c = 0; c < C; c++) d[c] += s[c];
      }
    }
    if (++iw == g.W) {
      iw = 0;
      if (++ih == g.H) ih = 0, n++;
    }
  }
}

void col2im(const ConvGeom& g, const float* dcol, int n0, int images, float* dx, Pool& pool) {
  const long pixels = (long)images * g.H * g.W;
  if (pool.size() == 1 || pixels * g.C < 65536) return col2im_pixels(g, dcol, n0, 0, pixels, dx);
  pool.run([&](int tid, int nt) {
    int lo, hi;
    split_range((int)pixels, nt, tid, 1, lo, hi);
    col2im_pixels(g, dcol, n0, lo, hi, dx);
  });
}

}  // namespace

void conv2d_forward(const ConvGeom& g, const float* x, const float* filter, float* y, Pool& pool) {
  const int K = g.K();
  const long image_rows = (long)g.OH * g.OW;
  if (col_is_input(g)) {
    gemm((int)(g.N * image_rows), g.OC, K, x, K, filter, g.OC, false, y, g.OC, false, pool);
    return;
  }
  const int chunk = images_per_chunk(g);
  float* col = scratch(12, (size_t)chunk * image_rows * K);
  for (int n0 = 0; n0 < g.N; n0 += chunk) {
    const long rows = std::min(chunk, g.N - n0) * image_rows;
    im2col(g, x, n0, rows, col, pool);
    gemm((int)rows, g.OC, K, col, K, filter, g.OC, false, y + (size_t)n0 * image_rows * g.OC, g.OC, false, pool);
  }
}

void conv2d_backprop_input(const ConvGeom& g, const float* dy, const float* filter, float* dx, Pool& pool) {
  const int K = g.K();
  const long image_rows = (long)g.OH * g.OW;
  if (col_is_input(g)) {
    gemm((int)(g.N * image_rows), K, g.OC, dy, g.OC, filter, g.OC, true, dx, K, false, pool);
    return;
  }
  const int chunk = images_per_chunk(g);
  float* dcol = scratch(12, (size_t)chunk * image_rows * K);
  for (int n0 = 0; n0 < g.N; n0 += chunk) {
    const int images = std::min(chunk, g.N - n0);
    gemm((int)(images * image_rows), K, g.OC, dy + (size_t)n0 * image_rows * g.OC, g.OC, filter, g.OC, true, dcol, K,
         false, pool);
    col2im(g, dcol, n0, images, dx, pool);
  }
}

void conv2d_backprop_filter(const ConvGeom& g, const float* x, const float* dy, float* dfilter, Pool& pool) {
  const int K = g.K();
  const long image_rows = (long)g.OH * g.OW;
  const int chunk = images_per_chunk(g);
  const bool direct = col_is_input(g), panels = !direct && col_as_panels(g);
  if (!direct && !panels) {  // few filter rows (K): dF [K, OC] = colᵀ · dy, nothing transposed
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
  const size_t col_floats = panels ? packed_size((int)(chunk * image_rows), K, isa().nr) : (size_t)chunk * image_rows * K;
  float* col = direct ? nullptr : scratch(12, col_floats);
  float* dyT = scratch(13, (size_t)chunk * image_rows * g.OC);
  float* dfT = scratch(14, (size_t)g.OC * K);
  for (int n0 = 0; n0 < g.N; n0 += chunk) {
    const long rows = std::min(chunk, g.N - n0) * image_rows;
    transpose((int)rows, g.OC, dy + (size_t)n0 * image_rows * g.OC, g.OC, dyT, pool);
    if (panels) {
      im2col_panels(g, x, n0, rows, col, pool);
      gemm_packed_b(g.OC, K, (int)rows, dyT, (int)rows, col, dfT, K, pool, n0 > 0);
      continue;
    }
    gemm(g.OC, K, (int)rows, dyT, (int)rows, x + (size_t)n0 * image_rows * K, K, false, dfT, K, n0 > 0, pool);
  }
  if (g.N == 0) std::fill(dfT, dfT + (size_t)g.OC * K, 0.f);
  transpose(g.OC, K, dfT, K, dfilter);
}

}  // namespace regulab
