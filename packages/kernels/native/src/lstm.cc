// Whole-sequence LSTM forward and backward through time (math: fused/impl.ts and the reference).
// Each thread owns a range of units for all four gates, so one barrier per step suffices: the
// input projection x_k·W and the recurrent product h·U of a thread's units (both with their
// weights packed once per call) are followed at once by their element-wise cell update (which
// also adds the bias); the gate pre-activations of a step stay in cache until the update. The weight gradients are one product: [Ĥᵀ; Xᵀ; 1ᵀ]·∂a gives
// ∂U, ∂W and ∂b with the pre-activation gradients ∂a [T·B, 4H] packed once.
#include "seq_util.h"

namespace regulab {

void lstm_forward(SeqCtx& c, Pool& pool) {
  const IsaTable& t = isa();
  const int B = c.B, T = c.T, D = c.D, H = c.H, G4 = 4 * H;
  const size_t TB = (size_t)T * B;
  const float* xs = step_major_x(c, scratch(0, TB * D));
  std::copy(c.h0, c.h0 + (size_t)B * H, c.HS);
  std::copy(c.c0, c.c0 + (size_t)B * H, c.CS);
  if (c.recMask) {
    float* hh = scratch(2, 2 * (size_t)B * H);
    c.hhat[0] = hh;
    c.hhat[1] = hh + (size_t)B * H;
    for (size_t i = 0; i < (size_t)B * H; i++) c.hhat[0][i] = c.h0[i] * c.recMask[i];
  }
  if (split_rows(B, pool.size())) {
    float* up = scratch(1, packed_size(H, G4, t.nr));  // U and W packed whole: a thread does all units
    float* wp = scratch(3, packed_size(D, G4, t.nr));
    pack_b(H, G4, c.U, G4, false, up, t.nr);
    pack_b(D, G4, c.W, G4, false, wp, t.nr);
    pool.run([&](int tid, int nt) {
      int b0, b1;
      split_range(B, nt, tid, 1, b0, b1);
      const int M = b1 - b0;
      for (int k = 0; k < T && M > 0; k++) {
        const float* A = (c.recMask ? c.hhat[k & 1] : c.HS + (size_t)k * B * H) + (size_t)b0 * H;
        float* gk = c.gates + ((size_t)k * B + b0) * G4;
        gate_panels(t, M, D, xs + ((size_t)k * B + b0) * D, D, wp, D, 0, G4, G4, gk, G4, false);  // x_k·W
        gate_panels(t, M, H, A, H, up, H, 0, G4, G4, gk, G4, true);                              // + h·U
        for (int b = b0; b < b1; b++) t.lstm_fwd_point(c, k, b, 0, H);
      }
    });
    write_sequence(c);
    std::copy(c.HS + TB * H, c.HS + TB * H + (size_t)B * H, c.hT);
    std::copy(c.CS + TB * H, c.CS + TB * H + (size_t)B * H, c.cT);
    return;
  }
  const size_t ps = packed_size(H, H, t.nr), pw = packed_size(D, H, t.nr);
  float* up = scratch(1, 4 * ps);  // U packed once per call, one block per gate
  float* wp = scratch(3, 4 * pw);  // W likewise
  for (int g = 0; g < 4; g++) {
    pack_b(H, H, c.U + g * H, G4, false, up + g * ps, t.nr);
    pack_b(D, H, c.W + g * H, G4, false, wp + g * pw, t.nr);
  }
  pool.run([&](int tid, int nt) {
    int j0, j1;
    split_range(H, nt, tid, t.nr, j0, j1);
    for (int k = 0; k < T; k++) {
      const float* A = c.recMask ? c.hhat[k & 1] : c.HS + (size_t)k * B * H;
      float* gk = c.gates + (size_t)k * B * G4;
      if (j1 > j0) {
        const float* xk = xs + (size_t)k * B * D;  // [B, D]
        for (int g = 0; g < 4; g++) {
          gate_panels(t, B, D, xk, D, wp + g * pw, D, j0, j1, H, gk + g * H, G4, false);  // x_k·W
          gate_panels(t, B, H, A, H, up + g * ps, H, j0, j1, H, gk + g * H, G4, true);    // + h·U
        }
        for (int b = 0; b < B; b++) t.lstm_fwd_point(c, k, b, j0, j1);
      }
      pool.barrier();
    }
  });
  write_sequence(c);
  std::copy(c.HS + TB * H, c.HS + TB * H + (size_t)B * H, c.hT);
  std::copy(c.CS + TB * H, c.CS + TB * H + (size_t)B * H, c.cT);
}

void lstm_backward(SeqCtx& c, Pool& pool) {
  const IsaTable& t = isa();
  const int B = c.B, T = c.T, D = c.D, H = c.H, G4 = 4 * H;
  const size_t TB = (size_t)T * B, BH = (size_t)B * H;
  float* work = scratch(0, 4 * BH);
  c.dH = work;
  c.dC = work + BH;
  c.dHp = work + 2 * BH;
  c.tmp = work + 3 * BH;
  init_dh(c);
  std::copy(c.dcT, c.dcT + BH, c.dC);
  float* ut = scratch(1, packed_size(G4, H, t.nr));  // Uᵀ [4H, H] packed once
  pack_b(G4, H, c.U, G4, true, ut, t.nr);
  const bool by_rows = split_rows(B, pool.size());
  pool.run([&](int tid, int nt) {
    if (by_rows) {  // every step of this thread's rows, no barrier
      int b0, b1;
      split_range(B, nt, tid, 1, b0, b1);
      for (int k = T - 1; k >= 0 && b1 > b0; k--) {
        for (int b = b0; b < b1; b++) t.lstm_bwd_point(c, k, b, 0, H);
        gate_panels(t, b1 - b0, G4, c.gates + ((size_t)k * B + b0) * G4, G4, ut, G4, 0, H, H, c.tmp + (size_t)b0 * H,
                    H, false);
        finish_dh(c, k, 0, H, b0, b1);
      }
      return;
    }
    int j0, j1;
    split_range(H, nt, tid, t.nr, j0, j1);
    for (int k = T - 1; k >= 0; k--) {
      for (int b = 0; b < B && j1 > j0; b++) t.lstm_bwd_point(c, k, b, j0, j1);
      pool.barrier();  // every gate gradient of step k is written
      if (j1 > j0) {
        gate_panels(t, B, G4, c.gates + (size_t)k * B * G4, G4, ut, G4, j0, j1, H, c.tmp, H, false);
        finish_dh(c, k, j0, j1);
      }
    }
  });
  std::copy(c.dH, c.dH + BH, c.dh0);
  std::copy(c.dC, c.dC + BH, c.dc0);
  const float* da = c.gates;  // [T·B, 4H] pre-activation gradients
  const int KA = H + D + 1;
  float* at = scratch(3, (size_t)KA * TB);  // rows: Ĥᵀ [H, T·B], Xᵀ [D, T·B], ones [1, T·B]
  masked_states_t(c, scratch(4, TB * H), at, pool);
  const float* xs = step_major_x(c, scratch(2, TB * D));
  transpose((int)TB, D, xs, D, at + (size_t)H * TB, pool);
  std::fill(at + (size_t)(H + D) * TB, at + (size_t)KA * TB, 1.0f);
  float* dwu = scratch(5, (size_t)KA * G4);  // [∂U; ∂W; ∂b]
  gemm(KA, G4, (int)TB, at, (int)TB, da, G4, false, dwu, G4, false, pool);
  std::copy(dwu, dwu + (size_t)H * G4, c.dU);
  std::copy(dwu + (size_t)H * G4, dwu + (size_t)(H + D) * G4, c.dW);
  std::copy(dwu + (size_t)(H + D) * G4, dwu + (size_t)KA * G4, c.db);
  float* dxs = scratch(6, TB * D);
  gemm((int)TB, D, G4, da, G4, c.W, G4, true, dxs, D, false, pool);
  scatter_dx(c, dxs);
}

}  // namespace regulab
