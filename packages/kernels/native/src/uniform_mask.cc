// Alea (Baagoe) as the integer multiply-with-carry it is: s = X·2⁻³², and the float64 step
// t = 2091639·s₀ + c·2⁻³² is exact, so X ← (a·X₋₃ + C) mod 2³², C ← ⌊(a·X₋₃ + C)/2³²⌋ gives the
// same sequence. The carry chain is one add and one shift per element; the multiply reads X from
// three steps back, off that chain.
#include "uniform_mask.h"

#include <cstdint>
#include <cstring>

namespace regulab {

void uniform_mask(double* state, float keep, float value, float* out, long n) {
  constexpr double kScale = 4294967296.0;  // 2³²
  uint32_t x0 = (uint32_t)(state[0] * kScale), x1 = (uint32_t)(state[1] * kScale), x2 = (uint32_t)(state[2] * kScale);
  uint64_t c = (uint64_t)state[3];
  // float(u < keep) · value is one of two values, picked by a bit mask: the compiler made the
  // product a branch on u < keep, a coin toss mispredicted half the time (7.6 ns per element)
  const float kept = 1.f * value, dropped = 0.f * value;
  uint32_t kept_bits, dropped_bits;
  std::memcpy(&kept_bits, &kept, 4);
  std::memcpy(&dropped_bits, &dropped, 4);
  for (long i = 0; i < n; i++) {
    const uint64_t t = 2091639ull * x0 + c;
    x0 = x1;
    x1 = x2;
    x2 = (uint32_t)t;
    c = t >> 32;
    const float u = (float)((double)x2 * (1.0 / kScale));  // rounded to float32 as tfjs stores it
    const uint32_t keep_mask = 0u - (uint32_t)(u < keep);  // tfjs: cast(less(u, keep)) · value
    const uint32_t b = (kept_bits & keep_mask) | (dropped_bits & ~keep_mask);
    std::memcpy(out + i, &b, 4);
  }
  state[0] = x0 / kScale;
  state[1] = x1 / kScale;
  state[2] = x2 / kScale;
  state[3] = (double)c;
}

}  // namespace regulab
