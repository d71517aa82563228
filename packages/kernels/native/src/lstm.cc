// Whole-sequence LSTM forward and backward through time (math: fused/impl.ts and the reference).
// A thread owns either a range of batch rows with every unit (no synchronisation at all: rows are
// independent) or, for small batches, a range of units in all four gates (one barrier per step);
// see split_rows. Either way the input projection x_k·W and the recurrent product h·U of its part
// (weights packed once per call) are followed at once by its element-wise cell update (which also
// adds the bias), while the gate pre-activations of the step are in cache. The weight gradients
// are one product: [Ĥᵀ; Xᵀ; 1ᵀ]·∂a gives ∂U, ∂W and ∂b with the pre-activation gradients
// ∂a [T·B, 4H] packed once.
#include "seq_util.h"

namespace regulab {

void lstm_forward(SeqCtx& c, Pool& pool) {
  const IsaTable& t = isa();
  draw_seeded_masks(c, pool);
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
  // Rows mode: U and W packed whole (one block of 4H columns), a thread takes rows and all units.
  // Units mode: one block per gate (H columns each), a thread takes a range of units in every gate.
  const bool by_rows = split_rows(B, pool.size());
  const int nb = by_rows ? 1 : 4, bw = by_rows ? G4 : H;
  const size_t ps = packed_size(H, bw, t.nr), pw = packed_size(D, bw, t.nr);
  float* up = scratch(1, nb * ps);
  float* wp = scratch(3, nb * pw);
  for (int g = 0; g < nb; g++) {
    pack_b(H, bw, c.U + g * bw, G4, false, up + g * ps, t.nr);
    pack_b(D, bw, c.W + g * bw, G4, false, wp + g * pw, t.nr);
  }
  pool.run([&](int tid, int nt) {
    const Part p = part(by_rows, B, H, bw, t.nr, tid, nt);
    const int M = p.b1 - p.b0;
    for (int k = 0; k < T; k++) {
      if (M > 0 && p.u1 > p.u0) {
        const float* A = (c.recMask ? c.hhat[k & 1] : c.HS + c.slot(k) * B * H) + (size_t)p.b0 * H;
        const float* xk = xs + ((size_t)k * B + p.b0) * D;  // [M, D]
        float* gk = c.gates + (c.slot(k) * B + p.b0) * G4;
        for (int g = 0; g < nb; g++) {
          gate_panels(t, M, D, xk, D, wp + g * pw, D, p.c0, p.c1, bw, gk + g * bw, G4, false);  // x_k·W
          gate_panels(t, M, H, A, H, up + g * ps, H, p.c0, p.c1, bw, gk + g * bw, G4, true);    // + h·U
        }
        for (int b = p.b0; b < p.b1; b++) t.lstm_fwd_point(c, k, b, p.u0, p.u1);
      }
      if (!by_rows) pool.barrier();
    }
  });
  const size_t last = c.slot(T) * B * H;  // state T
  std::copy(c.HS + last, c.HS + last + (size_t)B * H, c.hT);
  std::copy(c.CS + last, c.CS + last + (size_t)B * H, c.cT);
}

void lstm_backward(SeqCtx& c, Pool& pool) {
  const IsaTable& t = isa();
  draw_seeded_masks(c, pool);
  float* sq = norm_sums(c, t.nr);  // null unless the norms are asked for
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
  // ∂x_k = ∂a_k·Wᵀ straight into dx[b, t(k)] (rows of stride T·D), as one full-K product per row
  // in both modes (so results do not depend on the thread count): rows mode inside the loop while
  // ∂a_k is in cache, units mode after it.
  float* wt = scratch(7, packed_size(G4, D, t.nr));  // Wᵀ [4H, D] packed once
  pack_b(G4, D, c.W, G4, true, wt, t.nr);
  pool.run([&](int tid, int nt) {
    const Part p = part(by_rows, B, H, H, t.nr, tid, nt);
    const int M = p.b1 - p.b0;
    const bool mine = M > 0 && p.u1 > p.u0;
    for (int k = T - 1; k >= 0; k--) {
      if (mine) add_state_sq(c, sq, t.nr, k, p.b0, p.b1, p.u0, p.u1);
      for (int b = p.b0; b < p.b1 && mine; b++) t.lstm_bwd_point(c, k, b, p.u0, p.u1);
      if (!by_rows) pool.barrier();  // every gate gradient of step k is written
      if (mine) {
        const float* da = c.gates + ((size_t)k * B + p.b0) * G4;
        gate_panels(t, M, G4, da, G4, ut, G4, p.u0, p.u1, H, c.tmp + (size_t)p.b0 * H, H, false);
        finish_dh(c, k, p.u0, p.u1, p.b0, p.b1);
        if (by_rows) dx_rows(t, c, 4, wt, k, p.b0, p.b1);
      }
    }
  });
  std::copy(c.dH, c.dH + BH, c.dh0);
  std::copy(c.dC, c.dC + BH, c.dc0);
  norms_from_sums(c, sq, t.nr);
  const float* da = c.gates;  // [T·B, 4H] pre-activation gradients
  const int KA = H + D + 1;
  float* at = scratch(3, (size_t)KA * TB);  // rows: Ĥᵀ [H, T·B], Xᵀ [D, T·B], ones [1, T·B]
  masked_states_t(c, scratch(4, TB * H), at, pool);
  const float* xs = step_major_x(c, scratch(2, TB * D));
  transpose((int)TB, D, xs, D, at + (size_t)H * TB, pool);
  std::fill(at + (size_t)(H + D) * TB, at + (size_t)KA * TB, 1.0f);
  // [∂U; ∂W; ∂b]: straight into the outputs when they are consecutive (native-impl.ts makes them so).
  const bool together = c.dW == c.dU + (size_t)H * G4 && c.db == c.dW + (size_t)D * G4;
  float* dwu = together ? c.dU : scratch(5, (size_t)KA * G4);
  gemm(KA, G4, (int)TB, at, (int)TB, da, G4, false, dwu, G4, false, pool);
  if (!together) {
    std::copy(dwu, dwu + (size_t)H * G4, c.dU);
    std::copy(dwu + (size_t)H * G4, dwu + (size_t)(H + D) * G4, c.dW);
    std::copy(dwu + (size_t)(H + D) * G4, dwu + (size_t)KA * G4, c.db);
  }
  if (!by_rows) dx_all(t, c, 4, wt, pool);
}

}  // namespace regulab
