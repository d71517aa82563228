#pragma once
namespace regulab {
// out = a op b over n elements; op 0 add, 1 sub, 2 mul, 3 div; mode: 0 same shape, 1 b scalar,
// 2 a scalar, 3 b per row of m, 4 a per row of m, 5 b a repeated row of m, 6 a a repeated row of m.
void binary(int op, int mode, const float* a, const float* b, float* out, long n, long m);
}  // namespace regulab
