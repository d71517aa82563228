// Whole-sequence normalised LSTM (layer norm, recurrent batch norm), forward and backward through
// time; design and tape layouts: NORM_KIND in src/fused/abi.ts.
//   a = N_x(x_k·W) + N_h(ĥ·U) + b,  c̃ = f ⊙ c + i ⊙ g ⊙ m_cand,  h̃ = o ⊙ φ(N_c(c̃))   (N_c has β_c)
// N_x(x·W) + b for all steps is computed before the loop (one GEMM, then normalised in parallel).
// In the loop a thread owns batch rows (layer norm: per-example statistics, no barrier) or units
// in every gate (batch norm: per-feature statistics over the batch, one barrier per step); each
// step: ĥ·U into a scratch, N_h added to the gates, activations, c̃, N_c, then the new states
// (zoneout, padding) exactly as the un-normalised kernel.
#include "norm_seq.h"

namespace regulab {

void lstm_norm_forward(SeqCtx& c, NormCtx& n, Pool& pool) {
  const IsaTable& t = isa();
  draw_seeded_masks(c, pool);  // seeded per-step Gal / Semeniuta masks (none: nothing drawn)
  const int B = c.B, T = c.T, D = c.D, H = c.H, G4 = 4 * H;
  const size_t TB = (size_t)T * B, BH = (size_t)B * H;
  const bool ln = n.layer(), pg = n.per_gate();
  const float* xs = step_major_x(c, scratch(0, TB * D));
  norm_x_all_steps(c, n, 4, xs, pool);  // N_x(x·W) + b, every step
  std::copy(c.h0, c.h0 + BH, c.HS);
  std::copy(c.c0, c.c0 + BH, c.CS);
  if (c.recMask) {
    float* hh = scratch(2, 2 * BH);
    c.hhat[0] = hh;
    c.hhat[1] = hh + BH;
    for (size_t i = 0; i < BH; i++) c.hhat[0][i] = c.h0[i] * c.recMask[i];
  }
  // Layer norm: U packed whole (one block of 4H columns), a thread takes rows and all units.
  // Batch norm: one block per gate, a thread takes a range of units in every gate, all rows.
  // Each thread packs the columns it multiplies by (norm_part).
  const int nb = ln ? 1 : 4, bw = ln ? G4 : H;
  const size_t ps = packed_size(H, bw, t.nr);
  float* up = scratch(1, (size_t)pool.size() * nb * ps);
  float* R = scratch(4, (size_t)B * G4);  // ĥ·U of the step
  float* CT = scratch(5, BH);             // c̃ of the step
  pool.run([&](int tid, int nt) {
    const Part p = norm_part(ln, B, H, bw, t.nr, tid, nt);
    const int M = p.b1 - p.b0, u0 = p.u0, u1 = p.u1, nu = u1 - u0;
    const bool mine = M > 0 && nu > 0;
    float* own = up + (size_t)tid * nb * ps;
    pack_part(t, p, H, nb, bw, c.U, G4, false, own, ps);
    for (int k = 0; k < T; k++) {
      if (!mine) {
        if (!ln) pool.barrier();
        continue;
      }
      const size_t kb = (size_t)k * B;
      const float* A = (c.recMask ? c.hhat[k & 1] : c.HS + kb * H) + (size_t)p.b0 * H;
      for (int g = 0; g < nb; g++) part_panels(t, p, M, H, A, H, own, ps, g, H, bw, R + (size_t)p.b0 * G4, G4);
      // a += N_h(ĥ·U)
      if (ln) {
        for (int b = p.b0; b < p.b1; b++) {
          const size_t o = (kb + b) * G4;
          t.ln_fwd_row(R + (size_t)b * G4, n.nh + o, n.rh + (kb + b) * 4, 4, H, pg, n.eps, n.gh, nullptr, c.gates + o,
                       true);
        }
      } else {
        const int row = n.moving_row(k);
        for (int g = 0; g < 4; g++) {
          const int j0 = g * H + u0, j1 = g * H + u1;
          bn_fwd_cols(R, G4, n.nh + kb * G4, G4, B, j0, j1, n.eps, n.training,
                      n.training ? nullptr : n.mmh + (size_t)row * G4, n.training ? nullptr : n.mvh + (size_t)row * G4,
                      n.rh + (size_t)k * G4, n.bmh ? n.bmh + (size_t)k * G4 : nullptr,
                      n.bvh ? n.bvh + (size_t)k * G4 : nullptr, n.gh, nullptr, c.gates + kb * G4, G4, true);
        }
      }
      // gates and c̃
      for (int b = p.b0; b < p.b1; b++) {
        float* gk = c.gates + (kb + b) * G4;
        act_inplace(t, c.ract, gk + u0, nu);
        act_inplace(t, c.ract, gk + H + u0, nu);
        act_inplace(t, c.act, gk + 2 * H + u0, nu);
        act_inplace(t, c.ract, gk + 3 * H + u0, nu);
        const float* cm = cand_row_of(c, k, b);
        const float* cp = c.CS + (kb + b) * H;
        float* ct = CT + (size_t)b * H;
        for (int j = u0; j < u1; j++) ct[j] = gk[H + j] * cp[j] + gk[j] * (cm ? gk[2 * H + j] * cm[j] : gk[2 * H + j]);
      }
      // PC = φ(N_c(c̃)) = φ(γ_c ⊙ ĉ + β_c)
      if (ln) {
        for (int b = p.b0; b < p.b1; b++) {
          const size_t o = (kb + b) * H;
          t.ln_fwd_row(CT + (size_t)b * H, n.nc + o, n.rc + kb + b, 1, H, true, n.eps, n.gc, n.bc, c.PC + o, false);
        }
      } else {
        const int row = n.moving_row(k);
        bn_fwd_cols(CT, H, n.nc + kb * H, H, B, u0, u1, n.eps, n.training,
                    n.training ? nullptr : n.mmc + (size_t)row * H, n.training ? nullptr : n.mvc + (size_t)row * H,
                    n.rc + (size_t)k * H, n.bmc ? n.bmc + (size_t)k * H : nullptr,
                    n.bvc ? n.bvc + (size_t)k * H : nullptr, n.gc, n.bc, c.PC + kb * H, H, false);
      }
      for (int b = p.b0; b < p.b1; b++) {
        const size_t o = (kb + b) * H;
        float* pc = c.PC + o;
        act_inplace(t, c.act, pc + u0, nu);
        t.lstm_norm_fwd_point(c, k, b, u0, u1, CT + (size_t)b * H);
      }
      if (!ln) pool.barrier();
    }
  });
  std::copy(c.HS + TB * H, c.HS + TB * H + BH, c.hT);
  std::copy(c.CS + TB * H, c.CS + TB * H + BH, c.cT);
}

// Backward: per step (reverse), from ∂h_{k+1}, ∂c_{k+1}: ∂y_c of N_c's output (kept for ∂γ_c, ∂β_c),
// ∂c̃ through N_c, the gate gradients ∂a (into the gates tape), ∂(ĥ·U) = N_h'(∂a) (kept for ∂U) and
// ∂ĥ = ∂(ĥ·U)·Uᵀ. After the loop: ∂γ = Σ ∂a ⊙ x̂, ∂(x·W) = N_x'(∂a) (in place of x̂_x), ∂W, ∂x, ∂U, ∂b.
void lstm_norm_backward(SeqCtx& c, NormCtx& n, Pool& pool) {
  const IsaTable& t = isa();
  draw_seeded_masks(c, pool);
  float* sq = norm_sums(c, norm_unit_chunk(t.nr));  // null unless the state-gradient norms are asked for
  const int B = c.B, T = c.T, D = c.D, H = c.H, G4 = 4 * H;
  const size_t TB = (size_t)T * B, BH = (size_t)B * H;
  const bool ln = n.layer(), pg = n.per_gate();
  float* work = scratch(0, 4 * BH);
  c.dH = work;
  c.dC = work + BH;
  c.dHp = work + 2 * BH;
  c.tmp = work + 3 * BH;
  init_dh(c);
  std::copy(c.dcT, c.dcT + BH, c.dC);
  const size_t pst = packed_size(G4, H, t.nr);
  float* ut = scratch(1, (size_t)pool.size() * pst);  // Uᵀ [4H, H], each thread's units
  float* DHU = scratch(6, TB * G4);  // ∂(ĥ·U), every step
  float* DYC = scratch(17, TB * H);   // ∂y_c (N_c's output), every step
  float* DCT = scratch(18, BH);       // ∂c̃ of the step
  pool.run([&](int tid, int nt) {
    const Part p = norm_part(ln, B, H, H, t.nr, tid, nt);
    const int M = p.b1 - p.b0, u0 = p.u0, u1 = p.u1;
    const bool mine = M > 0 && u1 > u0;
    float* own = ut + (size_t)tid * pst;
    pack_part(t, p, G4, 1, H, c.U, G4, true, own, pst);
    for (int k = T - 1; k >= 0; k--) {
      const size_t kb = (size_t)k * B;
      if (mine) {
        add_state_sq(c, sq, norm_unit_chunk(t.nr), k, p.b0, p.b1, u0, u1);  // ∂h_{k+1}, ∂c_{k+1} complete here
        for (int b = p.b0; b < p.b1; b++)
          t.lstm_norm_bwd_point(c, k, b, u0, u1, 0, DYC + (kb + b) * H, DCT + (size_t)b * H);
        // ∂c̃ += N_c'(∂y_c)
        if (ln) {
          for (int b = p.b0; b < p.b1; b++) {
            const size_t o = (kb + b) * H;
            t.ln_bwd_row(DYC + o, n.nc + o, n.rc + kb + b, n.gc, DCT + (size_t)b * H, 1, H, true, true);
          }
        } else {
          bn_bwd_cols(DYC + kb * H, H, n.nc + kb * H, H, B, u0, u1, n.gc, n.rc + (size_t)k * H, n.training, DCT, H,
                      true);
        }
        for (int b = p.b0; b < p.b1; b++)
          t.lstm_norm_bwd_point(c, k, b, u0, u1, 1, DYC + (kb + b) * H, DCT + (size_t)b * H);
        // ∂(ĥ·U) = N_h'(∂a)
        if (ln) {
          for (int b = p.b0; b < p.b1; b++) {
            const size_t o = (kb + b) * G4;
            t.ln_bwd_row(c.gates + o, n.nh + o, n.rh + (kb + b) * 4, n.gh, DHU + o, 4, H, pg, false);
          }
        } else {
          for (int g = 0; g < 4; g++)
            bn_bwd_cols(c.gates + kb * G4, G4, n.nh + kb * G4, G4, B, g * H + u0, g * H + u1, n.gh,
                        n.rh + (size_t)k * G4, n.training, DHU + kb * G4, G4, false);
        }
      }
      if (!ln) pool.barrier();  // every column of ∂(ĥ·U) of step k is written
      if (mine) {
        part_panels(t, p, M, G4, DHU + (kb + p.b0) * G4, G4, own, pst, 0, G4, H, c.tmp + (size_t)p.b0 * H, H);
        finish_dh(c, k, u0, u1, p.b0, p.b1);
      }
    }
  });
  std::copy(c.dH, c.dH + BH, c.dh0);
  std::copy(c.dC, c.dC + BH, c.dc0);
  norms_from_sums(c, sq, norm_unit_chunk(t.nr));
  const float* da = c.gates;  // [T·B, 4H]
  column_sums((int)TB, H, DYC, H, n.nc, H, n.dgc, nullptr, 0, nullptr, n.dbc, pool);
  const float* xs = step_major_x(c, scratch(2, TB * D));
  norm_x_bwd_with_sums(c, n, 4, da, G4, n.nh, G4, n.dgh, c.db, xs, c.dW, pool);  // and ∂W
  float* dxw = n.nx;  // ∂(x·W) in place of x̂_x
  const float* hst = masked_states_t(c, scratch(4, TB * H), scratch(5, TB * H), pool);
  gemm(H, G4, (int)TB, hst, (int)TB, DHU, G4, false, c.dU, G4, false, pool);
  float* wt = scratch(7, packed_size(G4, D, t.nr));  // Wᵀ [4H, D]
  pack_b(G4, D, c.W, G4, true, wt, t.nr);
  dx_from(t, c, 4, dxw, wt, pool);
}

}  // namespace regulab
