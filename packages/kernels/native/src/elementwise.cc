// Broadcasting binary arithmetic for tfjs's CPU backend (see src/fused/cpu-kernels.ts): tfjs
// computes an index per element whenever one side broadcasts (e.g. [N, M] − [N, 1] in softmax
// cross-entropy), which costs ~50× a plain loop. These loops are written per op and broadcast
// pattern so the compiler vectorises them.
#include "elementwise.h"

namespace regulab {

template <int OP>
static inline float apply(float a, float b) {
  if (OP == 0) return a + b;
  if (OP == 1) return a - b;
  if (OP == 2) return a * b;
  return a / b;
}

template <int OP>
static void run(int mode, const float* a, const float* b, float* out, long n, long m) {
  switch (mode) {
    case 0:  // same shape
      for (long i = 0; i < n; i++) out[i] = apply<OP>(a[i], b[i]);
      break;
    case 1: {  // b scalar
      const float s = b[0];
      for (long i = 0; i < n; i++) out[i] = apply<OP>(a[i], s);
      break;
    }
    case 2: {  // a scalar
      const float s = a[0];
      for (long i = 0; i < n; i++) out[i] = apply<OP>(s, b[i]);
      break;
    }
    case 3:  // b one value per row of m
      for (long r = 0; r < n / m; r++) {
        const float s = b[r];
        for (long j = 0; j < m; j++) out[r * m + j] = apply<OP>(a[r * m + j], s);
      }
      break;
    case 4:  // a one value per row of m
      for (long r = 0; r < n / m; r++) {
        const float s = a[r];
        for (long j = 0; j < m; j++) out[r * m + j] = apply<OP>(s, b[r * m + j]);
      }
      break;
    case 5:  // b a row of m repeated
      for (long r = 0; r < n / m; r++)
        for (long j = 0; j < m; j++) out[r * m + j] = apply<OP>(a[r * m + j], b[j]);
      break;
    case 6:  // a a row of m repeated
      for (long r = 0; r < n / m; r++)
        for (long j = 0; j < m; j++) out[r * m + j] = apply<OP>(a[j], b[r * m + j]);
      break;
  }
}

void binary(int op, int mode, const float* a, const float* b, float* out, long n, long m) {
  switch (op) {
    case 0:
      return run<0>(mode, a, b, out, n, m);
    case 1:
      return run<1>(mode, a, b, out, n, m);
    case 2:
      return run<2>(mode, a, b, out, n, m);
    default:
      return run<3>(mode, a, b, out, n, m);
  }
}

}  // namespace regulab
