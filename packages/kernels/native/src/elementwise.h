// Element-wise arithmetic and column sums for tfjs's CPU backend (elementwise.cc).
#pragma once
#include "thread_pool.h"

namespace regulab {
// out = a op b over n elements; op abi::BINARY_OP_*, mode abi::BINARY_MODE_* (how a and b
// broadcast: same shape, b or a scalar, b or a one value per row of m, b or a a repeated row of m).
// Large calls split the elements (whole rows of m) over the pool: each element is computed alone,
// so the bits do not depend on the thread count.
void binary(int op, int mode, const float* a, const float* b, float* out, long n, long m, Pool& pool);

// out[j] = Σ_r x[r·width + j] for j < width (rows × width floats, row-major), each column summed
// in float32 in row order from 0 (a bias gradient: the sum over a tensor's leading axes). Threads
// take whole 16-column strips, so every column's order, and its bits, are the same on any count.
void column_sums(const float* x, long rows, long width, float* out, Pool& pool);
}  // namespace regulab
