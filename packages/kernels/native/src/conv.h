// 2-D convolution on the packed GEMM (conv.cc): geometry and entry points.
#pragma once
#include <cstddef>

namespace regulab {

class Pool;

// One conv2d call in NHWC (the slots of abi::CONV_*): x [N, H, W, C], filter [KH, KW, C, OC],
// y [N, OH, OW, OC]; strides SH, SW; dilations DH, DW; PT, PL the top and left padding.
struct ConvGeom {
  int N, H, W, C, OH, OW, OC, KH, KW, SH, SW, DH, DW, PT, PL;
  int K() const { return KH * KW * C; }
  size_t x_size() const { return (size_t)N * H * W * C; }
  size_t y_size() const { return (size_t)N * OH * OW * OC; }
  size_t filter_size() const { return (size_t)K() * OC; }
};

// y = conv2d(x, filter).
void conv2d_forward(const ConvGeom& g, const float* x, const float* filter, float* y, Pool& pool);
// dx = ∂L/∂x given dy = ∂L/∂y.
void conv2d_backprop_input(const ConvGeom& g, const float* dy, const float* filter, float* dx, Pool& pool);
// dfilter = ∂L/∂filter given x and dy.
void conv2d_backprop_filter(const ConvGeom& g, const float* x, const float* dy, float* dfilter, Pool& pool);

}  // namespace regulab
