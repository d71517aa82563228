// Whole-sequence LSTM forward and backward through time (math: fused/impl.ts and the reference).
// Each thread owns a range of units for all four gates, so one barrier per step suffices: the
// recurrent matmul of a thread's units is followed at once by their element-wise cell update.
#include "seq_util.h"

namespace regulab {

void lstm_forward(SeqCtx& c, Pool& pool) {
  const IsaTable& t = isa();
  const int B = c.B, T = c.T, D = c.D, H = c.H, G4 = 4 * H;
  const size_t TB = (size_t)T * B;
  std::vector<float> xs = step_major_x(c);
  for (size_t r = 0; r < TB; r++) std::copy(c.bias, c.bias + G4, c.gates + r * G4);
  gemm((int)TB, G4, D, xs.data(), D, c.W, G4, false, c.gates, G4, true, pool);  // x_t·W + b for every step
  std::copy(c.h0, c.h0 + (size_t)B * H, c.HS);
  std::copy(c.c0, c.c0 + (size_t)B * H, c.CS);
  const size_t ps = packed_size(H, H, t.nr);
  std::vector<float> up(4 * ps);  // U packed once per call, one block per gate
  for (int g = 0; g < 4; g++) pack_b(H, H, c.U + g * H, G4, false, up.data() + g * ps, t.nr);
  std::vector<float> hh;
  if (c.recMask) {
    hh.resize(2 * (size_t)B * H);
    c.hhat[0] = hh.data();
    c.hhat[1] = hh.data() + (size_t)B * H;
    for (size_t i = 0; i < (size_t)B * H; i++) c.hhat[0][i] = c.h0[i] * c.recMask[i];
  }
  pool.run([&](int tid, int nt) {
    int j0, j1;
    split_range(H, nt, tid, t.nr, j0, j1);
    for (int k = 0; k < T; k++) {
      const float* A = c.recMask ? c.hhat[k & 1] : c.HS + (size_t)k * B * H;
      float* gk = c.gates + (size_t)k * B * G4;
      if (j1 > j0) {
        for (int g = 0; g < 4; g++) gate_panels(t, B, H, A, H, up.data() + g * ps, H, j0, j1, H, gk + g * H, G4, true);
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
  std::vector<float> work(4 * BH);
  c.dH = work.data();
  c.dC = work.data() + BH;
  c.dHp = work.data() + 2 * BH;
  c.tmp = work.data() + 3 * BH;
  init_dh(c);
  std::copy(c.dcT, c.dcT + BH, c.dC);
  std::vector<float> ut(packed_size(G4, H, t.nr));  // Uᵀ [4H, H] packed once
  pack_b(G4, H, c.U, G4, true, ut.data(), t.nr);
  pool.run([&](int tid, int nt) {
    int j0, j1;
    split_range(H, nt, tid, t.nr, j0, j1);
    for (int k = T - 1; k >= 0; k--) {
      for (int b = 0; b < B && j1 > j0; b++) t.lstm_bwd_point(c, k, b, j0, j1);
      pool.barrier();  // every gate gradient of step k is written
      if (j1 > j0) {
        gate_panels(t, B, G4, c.gates + (size_t)k * B * G4, G4, ut.data(), G4, j0, j1, H, c.tmp, H, false);
        finish_dh(c, k, j0, j1);
      }
    }
  });
  std::copy(c.dH, c.dH + BH, c.dh0);
  std::copy(c.dC, c.dC + BH, c.dc0);
  const float* da = c.gates;  // [T·B, 4H] pre-activation gradients
  std::vector<float> xs = step_major_x(c);
  std::vector<float> xst((size_t)D * TB);
  transpose((int)TB, D, xs.data(), D, xst.data());
  gemm(D, G4, (int)TB, xst.data(), (int)TB, da, G4, false, c.dW, G4, false, pool);
  std::vector<float> hst = masked_states_t(c);
  gemm(H, G4, (int)TB, hst.data(), (int)TB, da, G4, false, c.dU, G4, false, pool);
  std::vector<float> dxs(TB * D);
  gemm((int)TB, D, G4, da, G4, c.W, G4, true, dxs.data(), D, false, pool);
  scatter_dx(c, dxs.data());
  column_sums((int)TB, G4, da, G4, c.db);
}

}  // namespace regulab
