// Broadcasting binary arithmetic for tfjs's CPU backend (see src/fused/cpu-kernels.ts): tfjs
// computes an index per element whenever one side broadcasts (e.g. [N, M] − [N, 1] in softmax
// cross-entropy), which costs ~50× a plain loop. These loops are written per op and broadcast
// pattern so the compiler vectorises them.
#include "elementwise.h"

#include "abi.h"

namespace regulab {

template <int OP>
static inline float apply(float a, float b) {
  if (OP == abi::BINARY_OP_ADD) return a + b;
  if (OP == abi::BINARY_OP_SUB) return a - b;
  if (OP == abi::BINARY_OP_MUL) return a * b;
  return a / b;
}

template <int OP>
static void run(int mode, const float* a, const float* b, float* out, long n, long m) {
  switch (mode) {
    case abi::BINARY_MODE_SAME_SHAPE:
      for (long i = 0; i < n; i++) out[i] = apply<OP>(a[i], b[i]);
      break;
    case abi::BINARY_MODE_B_SCALAR: {
      const float s = b[0];
      for (long i = 0; i < n; i++) out[i] = apply<OP>(a[i], s);
      break;
    }
    case abi::BINARY_MODE_A_SCALAR: {
      const float s = a[0];
      for (long i = 0; i < n; i++) out[i] = apply<OP>(s, b[i]);
      break;
    }
    case abi::BINARY_MODE_B_PER_ROW:
      for (long r = 0; r < n / m; r++) {
        const float s = b[r];
        for (long j = 0; j < m; j++) out[r * m + j] = apply<OP>(a[r * m + j], s);
      }
      break;
    case abi::BINARY_MODE_A_PER_ROW:
      for (long r = 0; r < n / m; r++) {
        const float s = a[r];
        for (long j = 0; j < m; j++) out[r * m + j] = apply<OP>(s, b[r * m + j]);
      }
      break;
    case abi::BINARY_MODE_B_REPEATED_ROW:
      for (long r = 0; r < n / m; r++)
        for (long j = 0; j < m; j++) out[r * m + j] = apply<OP>(a[r * m + j], b[j]);
      break;
    case abi::BINARY_MODE_A_REPEATED_ROW:
      for (long r = 0; r < n / m; r++)
        for (long j = 0; j < m; j++) out[r * m + j] = apply<OP>(a[j], b[r * m + j]);
      break;
  }
}

void binary(int op, int mode, const float* a, const float* b, float* out, long n, long m) {
  switch (op) {
    case abi::BINARY_OP_ADD:
      return run<abi::BINARY_OP_ADD>(mode, a, b, out, n, m);
    case abi::BINARY_OP_SUB:
      return run<abi::BINARY_OP_SUB>(mode, a, b, out, n, m);
    case abi::BINARY_OP_MUL:
      return run<abi::BINARY_OP_MUL>(mode, a, b, out, n, m);
    default:
      return run<abi::BINARY_OP_DIV>(mode, a, b, out, n, m);
  }
}

}  // namespace regulab
