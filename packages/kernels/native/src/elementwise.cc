// Broadcasting binary arithmetic for tfjs's CPU backend (see src/fused/cpu-kernels.ts): tfjs
// computes an index per element whenever one side broadcasts (e.g. [N, M] − [N, 1] in softmax
// cross-entropy), which costs ~50× a plain loop. These loops are written per op and broadcast
// pattern so the compiler vectorises them. Also the column sums of a bias gradient.
#include "elementwise.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "abi.h"

namespace regulab {

namespace {

// Calls below this many elements run on the calling thread (a pool wake-up costs microseconds).
constexpr long kThreadedElements = 1 << 16;

// tfjs's Step with alpha 0: 1 if v > 0, NaN if v is NaN, else 0, built from compare masks (the
// ternaries compiled to branches and scalar code: 8 ms for 1.4 M elements, against 0.2 for a
// multiply).
inline float relu_step(float v) {
  const uint32_t positive = 0u - (uint32_t)(v > 0.f), nan = 0u - (uint32_t)(v != v);
  const uint32_t bits = (positive & 0x3f800000u) | (nan & 0x7fc00000u);  // 1.0f, NaN
  float s;
  std::memcpy(&s, &bits, 4);
  return s;
}

template <int OP>
inline float apply(float a, float b) {
  if (OP == abi::BINARY_OP_ADD) return a + b;
  if (OP == abi::BINARY_OP_SUB) return a - b;
  if (OP == abi::BINARY_OP_MUL) return a * b;
  if (OP == abi::BINARY_OP_RELU_GRAD) return a * relu_step(b);
  return a / b;
}

// Elements [i0, i1) of out; for the row modes i0 and i1 are multiples of m.
template <int OP>
void run(int mode, const float* a, const float* b, float* out, long i0, long i1, long m) {
  switch (mode) {
    case abi::BINARY_MODE_SAME_SHAPE:
      for (long i = i0; i < i1; i++) out[i] = apply<OP>(a[i], b[i]);
      break;
    case abi::BINARY_MODE_B_SCALAR: {
      const float s = b[0];
      for (long i = i0; i < i1; i++) out[i] = apply<OP>(a[i], s);
      break;
    }
    case abi::BINARY_MODE_A_SCALAR: {
      const float s = a[0];
      for (long i = i0; i < i1; i++) out[i] = apply<OP>(s, b[i]);
      break;
    }
    case abi::BINARY_MODE_B_PER_ROW:
      for (long r = i0 / m; r < i1 / m; r++) {
        const float s = b[r];
        for (long j = 0; j < m; j++) out[r * m + j] = apply<OP>(a[r * m + j], s);
      }
      break;
    case abi::BINARY_MODE_A_PER_ROW:
      for (long r = i0 / m; r < i1 / m; r++) {
        const float s = a[r];
        for (long j = 0; j < m; j++) out[r * m + j] = apply<OP>(s, b[r * m + j]);
      }
      break;
    case abi::BINARY_MODE_B_REPEATED_ROW:
      for (long r = i0 / m; r < i1 / m; r++)
        for (long j = 0; j < m; j++) out[r * m + j] = apply<OP>(a[r * m + j], b[j]);
      break;
    case abi::BINARY_MODE_A_REPEATED_ROW:
      for (long r = i0 / m; r < i1 / m; r++)
        for (long j = 0; j < m; j++) out[r * m + j] = apply<OP>(a[j], b[r * m + j]);
      break;
  }
}

void run_op(int op, int mode, const float* a, const float* b, float* out, long i0, long i1, long m) {
  switch (op) {
    case abi::BINARY_OP_ADD:
      return run<abi::BINARY_OP_ADD>(mode, a, b, out, i0, i1, m);
    case abi::BINARY_OP_SUB:
      return run<abi::BINARY_OP_SUB>(mode, a, b, out, i0, i1, m);
    case abi::BINARY_OP_MUL:
      return run<abi::BINARY_OP_MUL>(mode, a, b, out, i0, i1, m);
    case abi::BINARY_OP_RELU_GRAD:
      return run<abi::BINARY_OP_RELU_GRAD>(mode, a, b, out, i0, i1, m);
    default:
      return run<abi::BINARY_OP_DIV>(mode, a, b, out, i0, i1, m);
  }
}

bool by_rows(int mode) {
  return mode == abi::BINARY_MODE_B_PER_ROW || mode == abi::BINARY_MODE_A_PER_ROW ||
         mode == abi::BINARY_MODE_B_REPEATED_ROW || mode == abi::BINARY_MODE_A_REPEATED_ROW;
}

constexpr int kStrip = 16;

// Columns [c0, c0 + w) of column_sums, w ≤ kStrip, in registers.
void strip_sums(const float* x, long rows, long width, long c0, int w, float* out) {
  float acc[kStrip] = {};
  if (w == kStrip) {
    for (long r = 0; r < rows; r++) {
      const float* s = x + r * width + c0;
      for (int k = 0; k < kStrip; k++) acc[k] += s[k];
    }
  } else {
    for (long r = 0; r < rows; r++)
      for (int k = 0; k < w; k++) acc[k] += x[r * width + c0 + k];
  }
  std::copy(acc, acc + w, out + c0);
}

}  // namespace

void binary(int op, int mode, const float* a, const float* b, float* out, long n, long m, Pool& pool) {
  const long unit = by_rows(mode) ? m : 64;  // rows stay whole
  const long units = (n + unit - 1) / unit;
  if (pool.size() == 1 || n < kThreadedElements || units < 2) return run_op(op, mode, a, b, out, 0, n, m);
  pool.run([&](int tid, int nt) {
    const long u0 = units * tid / nt, u1 = units * (tid + 1) / nt;
    const long i0 = std::min(n, u0 * unit), i1 = std::min(n, u1 * unit);
    if (i0 < i1) run_op(op, mode, a, b, out, i0, i1, m);
  });
}

void column_sums(const float* x, long rows, long width, float* out, Pool& pool) {
  const long strips = (width + kStrip - 1) / kStrip;
  auto sums = [&](long s0, long s1) {
    for (long s = s0; s < s1; s++) strip_sums(x, rows, width, s * kStrip, (int)std::min<long>(kStrip, width - s * kStrip), out);
  };
  if (pool.size() == 1 || rows * width < kThreadedElements || strips < 2) return sums(0, strips);
  pool.run([&](int tid, int nt) { sums(strips * tid / nt, strips * (tid + 1) / nt); });
}

}  // namespace regulab
