// Max and average pooling in NHWC and their gradients (pool.cc): entry point.
#pragma once
#include "conv.h"

namespace regulab {

// One pooling op (abi::POOL_*) in the geometry g of a ConvGeom with OC = C and dilations 1:
//   POOL_MAX_POOL       a = x [N, H, W, C]            → out = y [N, OH, OW, C]
//   POOL_AVG_POOL       a = x                         → out = y
//   POOL_MAX_POOL_GRAD  a = x, b = dy [N, OH, OW, C]  → out = dx [N, H, W, C]
//   POOL_AVG_POOL_GRAD  a = dy                        → out = dx
// with tfjs's CPU results bit for bit (see Pool2dOps in src/fused/impl.ts).
void pool2d(int op, const ConvGeom& g, const float* a, const float* b, float* out, Pool& pool);

}  // namespace regulab
