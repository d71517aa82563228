// Seeded Bernoulli masks with tfjs's randomUniform bits (uniform_mask.cc; the contract and the
// proof that the integer form is exact: src/fused/alea-mask.ts).
#pragma once

namespace regulab {
// Draws n uniforms u from Alea's state {s0, s1, s2, c} (updated in place) and writes
// out[i] = float(float(u_i) < keep) · value.
void uniform_mask(double* state, float keep, float value, float* out, long n);
}  // namespace regulab
