// Whole-sequence GRU forward and backward through time, reset-before (tfjs) and reset-after
// (Keras). As for the LSTM the input projection and the recurrent products run inside the step
// loop and the cell update adds the bias; each thread owns a range of batch rows (no
// synchronisation) or, for small batches, of units; then reset-before needs a second barrier per
// step because the candidate's matmul consumes r ⊙ ĥ of every unit.
#include "seq_util.h"

namespace regulab {

void gru_forward(SeqCtx& c, Pool& pool) {
  const IsaTable& t = isa();
  draw_seeded_masks(c, pool);
  const int B = c.B, T = c.T, D = c.D, H = c.H, G3 = 3 * H;
  const size_t TB = (size_t)T * B;
  std::vector<float> rowBias(c.bias, c.bias + G3);  // input bias (+ recurrent z, r bias when reset-after)
  if (c.resetAfter)
    for (int j = 0; j < 2 * H; j++) rowBias[j] += c.bias[G3 + j];
  c.rowBias = rowBias.data();  // added by the cell update
  const float* xs = step_major_x(c, scratch(0, TB * D));
  std::copy(c.h0, c.h0 + (size_t)B * H, c.HS);
  const size_t ps = packed_size(H, H, t.nr), pw = packed_size(D, H, t.nr);
  float* up = scratch(1, 3 * ps);  // U and W packed once per call, one block per gate
  float* wp = scratch(3, 3 * pw);
  for (int g = 0; g < 3; g++) {
    pack_b(H, H, c.U + g * H, G3, false, up + g * ps, t.nr);
    pack_b(D, H, c.W + g * H, G3, false, wp + g * pw, t.nr);
  }
  if (c.recMask) {
    float* hh = scratch(2, 2 * (size_t)B * H);
    c.hhat[0] = hh;
    c.hhat[1] = hh + (size_t)B * H;
    for (size_t i = 0; i < (size_t)B * H; i++) c.hhat[0][i] = c.h0[i] * c.recMask[i];
  }
  const bool by_rows = split_rows(B, pool.size());
  pool.run([&](int tid, int nt) {
    const Part p = part(by_rows, B, H, H, t.nr, tid, nt);
    const int M = p.b1 - p.b0, j0 = p.u0, j1 = p.u1;
    const bool mine = M > 0 && j1 > j0;
    for (int k = 0; k < T; k++) {
      const float* A = (c.recMask ? c.hhat[k & 1] : c.HS + c.slot(k) * B * H) + (size_t)p.b0 * H;
      float* gk = c.gates + (c.slot(k) * B + p.b0) * G3;
      float* uk = c.UH + (c.slot(k) * B + p.b0) * H;
      if (mine) {
        const float* xk = xs + ((size_t)k * B + p.b0) * D;  // [M, D]
        for (int g = 0; g < 3; g++) gate_panels(t, M, D, xk, D, wp + g * pw, D, j0, j1, H, gk + g * H, G3, false);
        for (int g = 0; g < 2; g++) gate_panels(t, M, H, A, H, up + g * ps, H, j0, j1, H, gk + g * H, G3, true);
      }
      if (c.resetAfter) {
        if (mine) {
          for (int b = 0; b < M; b++) std::copy(c.bias + G3 + 2 * H + j0, c.bias + G3 + 2 * H + j1, uk + (size_t)b * H + j0);
          gate_panels(t, M, H, A, H, up + 2 * ps, H, j0, j1, H, uk, H, true);
          for (int b = p.b0; b < p.b1; b++) t.gru_fwd_point(c, k, b, j0, j1, 1);
        }
      } else {
        for (int b = p.b0; b < p.b1 && mine; b++) t.gru_fwd_point(c, k, b, j0, j1, 0);
        if (!by_rows) pool.barrier();  // q = r ⊙ ĥ complete
        if (mine) {
          gate_panels(t, M, H, uk, H, up + 2 * ps, H, j0, j1, H, gk + 2 * H, G3, true);
          for (int b = p.b0; b < p.b1; b++) t.gru_fwd_point(c, k, b, j0, j1, 1);
        }
      }
      if (!by_rows) pool.barrier();
    }
  });
  const size_t last = c.slot(T) * B * H;  // state T
  std::copy(c.HS + last, c.HS + last + (size_t)B * H, c.hT);
}

void gru_backward(SeqCtx& c, Pool& pool) {
  const IsaTable& t = isa();
  draw_seeded_masks(c, pool);
  float* sq = norm_sums(c, t.nr);  // null unless the norms are asked for
  const int B = c.B, T = c.T, D = c.D, H = c.H, G3 = 3 * H;
  const size_t TB = (size_t)T * B, BH = (size_t)B * H;
  float* work = scratch(0, 4 * BH);
  c.dH = work;
  c.dHp = work + BH;
  c.tmp = work + 2 * BH;
  c.tmp2 = work + 3 * BH;
  init_dh(c);
  float* ut = scratch(1, packed_size(G3, H, t.nr));  // Uᵀ [3H, H] packed once
  pack_b(G3, H, c.U, G3, true, ut, t.nr);
  const float* utH = ut + (size_t)2 * H * t.nr;  // its rows 2H..3H (U_hᵀ)
  const bool by_rows = split_rows(B, pool.size());
  float* wt = scratch(7, packed_size(G3, D, t.nr));  // Wᵀ [3H, D] packed once, for ∂x (as the LSTM)
  pack_b(G3, D, c.W, G3, true, wt, t.nr);
  pool.run([&](int tid, int nt) {
    const Part p = part(by_rows, B, H, H, t.nr, tid, nt);
    const int M = p.b1 - p.b0, j0 = p.u0, j1 = p.u1;
    const bool mine = M > 0 && j1 > j0;
    float* tmp = c.tmp + (size_t)p.b0 * H;
    for (int k = T - 1; k >= 0; k--) {
      float* gk = c.gates + ((size_t)k * B + p.b0) * G3;
      float* uk = c.UH + ((size_t)k * B + p.b0) * H;
      if (mine) add_state_sq(c, sq, t.nr, k, p.b0, p.b1, j0, j1);
      for (int b = p.b0; b < p.b1 && mine; b++) t.gru_bwd_point(c, k, b, j0, j1, 0);
      if (!by_rows) pool.barrier();
      if (c.resetAfter) {
        if (mine) {
          gate_panels(t, M, 2 * H, gk, G3, ut, G3, j0, j1, H, tmp, H, false);
          gate_panels(t, M, H, uk, H, utH, G3, j0, j1, H, tmp, H, true);
          finish_dh(c, k, j0, j1, p.b0, p.b1);
        }
      } else {
        if (mine) {
          gate_panels(t, M, H, gk + 2 * H, G3, utH, G3, j0, j1, H, tmp, H, false);  // dq
          for (int b = p.b0; b < p.b1; b++) t.gru_bwd_point(c, k, b, j0, j1, 1);
        }
        if (!by_rows) pool.barrier();
        if (mine) {
          gate_panels(t, M, 2 * H, gk, G3, ut, G3, j0, j1, H, tmp, H, false);
          finish_dh(c, k, j0, j1, p.b0, p.b1);
        }
      }
      if (by_rows && mine) dx_rows(t, c, 3, wt, k, p.b0, p.b1);  // this step's gate gradients are complete
    }
  });
  if (!by_rows) dx_all(t, c, 3, wt, pool);
  std::copy(c.dH, c.dH + BH, c.dh0);
  norms_from_sums(c, sq, t.nr);
  const float* da = c.gates;  // [T·B, 3H]: ∂a_z, ∂a_r, ∂a_h
  const float* xs = step_major_x(c, scratch(2, TB * D));
  float* xst = scratch(3, (size_t)D * TB);
  transpose((int)TB, D, xs, D, xst);
  gemm(D, G3, (int)TB, xst, (int)TB, da, G3, false, c.dW, G3, false, pool);
  const float* hst = masked_states_t(c, scratch(4, TB * H), scratch(5, TB * H), pool);
  gemm(H, 2 * H, (int)TB, hst, (int)TB, da, G3, false, c.dU, G3, false, pool);
  if (c.resetAfter) {
    gemm(H, H, (int)TB, hst, (int)TB, c.UH, H, false, c.dU + 2 * H, G3, false, pool);  // UH holds ∂u_h
  } else {
    float* qt = scratch(6, (size_t)H * TB);
    transpose((int)TB, H, c.UH, H, qt);  // UH holds q = r ⊙ ĥ
    gemm(H, H, (int)TB, qt, (int)TB, da + 2 * H, G3, false, c.dU + 2 * H, G3, false, pool);
  }
  column_sums((int)TB, G3, da, G3, c.db);
  if (c.resetAfter) {
    column_sums((int)TB, 2 * H, da, G3, c.db + G3);
    column_sums((int)TB, H, c.UH, H, c.db + G3 + 2 * H);
  }
}

}  // namespace regulab
