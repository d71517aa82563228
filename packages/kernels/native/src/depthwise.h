// Depthwise 2-D convolution in NHWC (depthwise.cc): entry point.
#pragma once
#include "conv.h"

namespace regulab {

// One depthwise op (abi::DEPTHWISE_*) in the geometry g of a ConvGeom with OC = C·M (M the channel
// multiplier), filter [KH, KW, C, M]:
//   DEPTHWISE_FORWARD          a = x [N, H, W, C], b = filter   → out = y [N, OH, OW, C·M]
//   DEPTHWISE_BACKPROP_INPUT   a = dy [N, OH, OW, C·M], b = filter → out = dx [N, H, W, C]
//   DEPTHWISE_BACKPROP_FILTER  a = x, b = dy                     → out = dfilter [KH, KW, C, M]
// (semantics: DepthwiseConv2dOps in src/fused/impl.ts).
void depthwise2d(int op, const ConvGeom& g, const float* a, const float* b, float* out, Pool& pool);

}  // namespace regulab
