// The im2col helpers shared by the convolution's passes: conv.cc (forward, input gradient) and
// conv_filter.cc (filter gradient). col is the im2col matrix [rows = N·OH·OW, K = KH·KW·C] of
// conv.cc's file comment.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstring>

#include "conv.h"

namespace regulab {

constexpr size_t kChunkFloats = size_t(1) << 22;  // col floats per chunk (16 MB)

// Images per chunk: as many as fit kChunkFloats of col (at least one).
inline int images_per_chunk(const ConvGeom& g) {
  size_t per_image = (size_t)g.OH * g.OW * g.K();
  return (int)std::max<size_t>(1, std::min<size_t>(g.N, kChunkFloats / std::max<size_t>(per_image, 1)));
}

// Whether col is x itself: a 1×1 filter, unit strides, no padding.
inline bool col_is_input(const ConvGeom& g) {
  return g.KH == 1 && g.KW == 1 && g.SH == 1 && g.SW == 1 && g.PT == 0 && g.PL == 0 && g.OH == g.H && g.OW == g.W;
}

// n floats from s to d: short runs (a single-channel input's taps) inline, long ones by memcpy.
inline void copy_run(const float* s, int n, float* d) {
  if (n <= 16)
    for (int i = 0; i < n; i++) d[i] = s[i];
  else
    std::memcpy(d, s, sizeof(float) * (size_t)n);
}

// col rows [r0, r1) of the images starting at image n0 (row 0 = image n0's first output pixel),
// row r at out + (r − r0)·K (conv.cc).
void im2col_rows(const ConvGeom& g, const float* x, int n0, long r0, long r1, float* out);

}  // namespace regulab
