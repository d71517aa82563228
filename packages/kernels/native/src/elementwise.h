#pragma once
namespace regulab {
// out = a op b over n elements; op abi::BINARY_OP_*, mode abi::BINARY_MODE_* (how a and b
// broadcast: same shape, b or a scalar, b or a one value per row of m, b or a a repeated row of m).
void binary(int op, int mode, const float* a, const float* b, float* out, long n, long m);
}  // namespace regulab
