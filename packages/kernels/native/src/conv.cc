// 2-D convolution in NHWC on the packed GEMM (gemm.cc), for tfjs's Conv2D, Conv2DBackpropInput
// and Conv2DBackpropFilter kernels (src/fused/cpu-conv-kernels.ts). With col the im2col matrix
// [rows = N·OH·OW, K = KH·KW·C] (col[r][(kh·KW + kw)·C + c] = x[n, oh·SH + kh·DH − PT, ow·SW +
// kw·DW − PL, c], 0 in the padding) and the filter read as F [K, OC] (its own memory layout):
//   forward          y [rows, OC]  = col · F
//   input gradient   dx            = col2im(dy · Fᵀ)  (each input pixel gathers its taps)
//   filter gradient  dFᵀ [OC, K]   = dyᵀ · col, transposed into dF [K, OC]  (conv_filter.cc)
// With at least two images per thread, each thread takes whole images and builds their col (or
// dcol) a few images at a time in an L2-sized buffer (by_images); otherwise col is built in chunks
// of whole images (at most ~16 MB), so the work buffer stays bounded and every chunk's gather
// stays inside it. Chunks, and the GEMM's own splits, do not depend on the
// thread count, and every output element is summed in one fixed order: the results are the same
// bits on any number of threads.
#include <algorithm>
#include <cstring>
#include <vector>

#include "common.h"
#include "conv.h"
#include "conv_im2col.h"
#include "thread_pool.h"

namespace regulab {

// col rows [r0, r1) of the images starting at image n0 (row 0 = image n0's first output pixel),
// row r at out + (r − r0)·K. The pixel indices advance with the row (no division per row), and
// with unit dilation along the width a kernel row's in-bounds taps are one contiguous run of x,
// copied at once.
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


namespace {

// Whether the forward and input-gradient passes split whole images over the threads, each
// building col (or dcol) a few images at a time in its own L2-sized buffer instead of the whole
// chunk's col in memory: when every thread gets at least two images and col is wide (K at least
// four panels: cnn-step's second convolution, K 288, writes 8.9 MB of col; its first, K 9, only
// 1.5 MB, and is faster chunked). Each output element is still one GEMM's element (the same K
// blocks), so the bits are those of the chunked path.
bool by_images(const ConvGeom& g, const Pool& pool) {
  return pool.size() > 1 && g.N >= 2 * pool.size() && g.K() >= 4 * isa().nr;
}

// Images per col block of by_images's forward: about 256 KB of col (at least one image).
int images_per_block(const ConvGeom& g) {
  const size_t per_image = (size_t)g.OH * g.OW * g.K() * sizeof(float);
  return (int)std::max<size_t>(1, (size_t(256) << 10) / std::max<size_t>(per_image, 1));
}

void im2col(const ConvGeom& g, const float* x, int n0, long rows, float* col, Pool& pool) {
  if (pool.size() == 1 || rows * g.K() < 65536) return im2col_rows(g, x, n0, 0, rows, col);
  pool.run([&](int tid, int nt) {
    int lo, hi;
    split_range((int)rows, nt, tid, 1, lo, hi);
    im2col_rows(g, x, n0, lo, hi, col + (size_t)lo * g.K());
  });
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
  if (by_images(g, pool)) {  // each thread its own images, col a block at a time (see by_images)
    const int per = images_per_block(g);
    float* fp = scratch(13, packed_size(K, g.OC, isa().nr));  // the filter F [K, OC], packed once
    pack_b(K, g.OC, filter, g.OC, false, fp, isa().nr);
    pool.run([&](int tid, int nt) {
      int i0, i1;
      split_range(g.N, nt, tid, 1, i0, i1);
      std::vector<float> col((size_t)per * image_rows * K);
      for (int n0 = i0; n0 < i1; n0 += per) {
        const long rows = std::min(per, i1 - n0) * image_rows;
        im2col_rows(g, x, n0, 0, rows, col.data());
        gemm_packed_b_serial((int)rows, g.OC, K, col.data(), K, fp, y + (size_t)n0 * image_rows * g.OC, g.OC, false);
      }
    });
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
  if (by_images(g, pool)) {  // each thread its own images: an image's dcol, then its pixels
    float* ftp = scratch(13, packed_size(g.OC, K, isa().nr));  // Fᵀ [OC, K], packed once
    pack_b(g.OC, K, filter, g.OC, true, ftp, isa().nr);
    pool.run([&](int tid, int nt) {
      int i0, i1;
      split_range(g.N, nt, tid, 1, i0, i1);
      std::vector<float> dcol((size_t)image_rows * K);
      for (int n = i0; n < i1; n++) {
        gemm_packed_b_serial((int)image_rows, K, g.OC, dy + (size_t)n * image_rows * g.OC, g.OC, ftp, dcol.data(), K,
                             false);
        col2im_pixels(g, dcol.data(), n, 0, (long)g.H * g.W, dx);
      }
    });
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

}  // namespace regulab
