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
  const bool ln = n.layer(), pg = n.per_gate(), rx = lstm_recomputes_x(c, n);
  const float* xs = step_major_x(c, scratch(0, TB * D));
  float* xmean = n.nx;  // rx training: μ_x [T, 4H], then σ²_x
  float* xvar = rx ? n.nx + (size_t)T * G4 : nullptr;
  if (rx) bn_x_all_steps(c, n, 4, xs, nullptr, nullptr, n.training ? xmean : nullptr, xvar, pool);  // applied in the loop
  else norm_x_all_steps(c, n, 4, xs, pool);                  // N_x(x·W) + b, every step
  std::copy(c.h0, c.h0 + BH, c.HS);
  std::copy(c.c0, c.c0 + BH, c.CS);
  if (c.recMask) {
    float* hh = scratch(2, 2 * BH);
    c.hhat[0] = hh;
    c.hhat[1] = hh + BH;
    for (size_t i = 0; i < BH; i++) c.hhat[0][i] = c.h0[i] * c.recMask[i];
  }
  // A thread takes batch rows and all units, U packed whole in its own copy. Batch
  // norm's statistics couple the rows: each thread sums its blocks of rows, then all combine them
  // after a barrier (BnPhases). Batch norm keeps μ_c ([T, H], in the x̂_c tape's place) and the
  // backward recomputes x̂_c from the gates and c (lstmNormCTapeLength in src/fused/abi.ts).
  const size_t ps = packed_size(H, G4, t.nr);
  float* up = scratch(1, (size_t)pool.size() * ps);
  float* R = scratch(4, (size_t)B * G4);                 // ĥ·U of the step
  float* CT = scratch(5, BH);                            // c̃ of the step
  float* PART = ln ? nullptr : scratch(22, (size_t)kBnRowBlocks * 2 * (G4 + H));  // BnStat partials of ĥ·U, c̃
  pool.run([&](int tid, int nt) {
    const Part p = ln ? part(true, B, H, G4, t.nr, tid, nt) : bn_part(B, H, G4, tid, nt);
    const int M = p.b1 - p.b0;
    const BnPhases bn{t, pool, tid, nt, B};
    float* MU = ln ? nullptr : scratch(24, (size_t)2 * (G4 + H));  // this thread's μ, rstd of ĥ·U, c̃
    float* own = up + (size_t)tid * ps;
    pack_part(t, p, H, 1, G4, c.U, G4, false, own, ps);
    for (int k = 0; k < T; k++) {
      const size_t kb = (size_t)k * B;          // step k's rows of the inputs
      const size_t sb = c.slot(k) * B;          // and of the tape (a ring in batch-norm inference)
      const float* A = (c.recMask ? c.hhat[k & 1] : c.HS + sb * H) + (size_t)p.b0 * H;
      part_panels(t, p, M, H, A, H, own, ps, 0, H, G4, R + (size_t)p.b0 * G4, G4);
      // a (+)= N_x(x_k·W) + b (rx), a += N_h(ĥ·U)
      if (ln) {
        for (int b = p.b0; b < p.b1; b++) {
          const size_t o = (sb + b) * G4;
          t.ln_fwd_row(R + (size_t)b * G4, n.nh + o, n.rh + (sb + b) * 4, 4, H, pg, n.eps, n.gh, nullptr, c.gates + o,
                       true);
        }
      } else {
        const size_t f = (size_t)k * G4, row = (size_t)n.moving_row(k) * G4;
        const bool tr = n.training;
        const BnStat q{R, G4, G4, tr ? nullptr : n.mmh + row, tr ? nullptr : n.mvh + row, n.rh + f,
                       n.bmh ? n.bmh + f : nullptr, n.bvh ? n.bvh + f : nullptr, PART};
        bn.stats(q, tr, n.eps, MU, MU + G4);
        // a = N_x(x_k·W) + b + N_h(ĥ·U) (x_k·W's statistics: bn_x_all_steps), and the gates
        t.lstm_bn_gates_rows(rx ? xs + kb * D : nullptr, D, c.W, R, n.nh + sb * G4, c.gates + sb * G4, p.b0, p.b1, H,
                             rx ? x_mean_of(c, n, k) : nullptr, n.rx + f, n.gx, c.bias, MU, MU + G4, n.gh, c.ract,
                             c.act);
      }
      // gates (layer norm: here; batch norm: lstm_bn_gates_rows) and c̃
      for (int b = p.b0; b < p.b1; b++) {
        float* gk = c.gates + (sb + b) * G4;
        if (ln) {
          act_inplace(t, c.ract, gk, H);
          act_inplace(t, c.ract, gk + H, H);
          act_inplace(t, c.act, gk + 2 * H, H);
          act_inplace(t, c.ract, gk + 3 * H, H);
        }
        const float* cm = cand_row_of(c, k, b);
        const float* cp = c.CS + (sb + b) * H;
        float* ct = CT + (size_t)b * H;
        for (int j = 0; j < H; j++) ct[j] = gk[H + j] * cp[j] + gk[j] * (cm ? gk[2 * H + j] * cm[j] : gk[2 * H + j]);
      }
      // PC = φ(N_c(c̃)) = φ(γ_c ⊙ ĉ + β_c)
      if (ln) {
        for (int b = p.b0; b < p.b1; b++) {
          const size_t o = (sb + b) * H;
          t.ln_fwd_row(CT + (size_t)b * H, n.nc + o, n.rc + sb + b, 1, H, true, n.eps, n.gc, n.bc, c.PC + o, false);
        }
      } else {
        const size_t f = (size_t)k * H, row = (size_t)n.moving_row(k) * H;
        const bool tr = n.training;
        const BnStat q{CT, H, H, tr ? nullptr : n.mmc + row, tr ? nullptr : n.mvc + row, n.rc + f,
                       tr ? n.nc + f : nullptr, n.bvc ? n.bvc + f : nullptr, PART + (size_t)kBnRowBlocks * 2 * G4};
        float *mc = MU + 2 * G4, *rc = mc + H;
        bn.stats(q, tr, n.eps, mc, rc);
        t.bn_apply_rows(CT, H, nullptr, 0, p.b0, p.b1, 0, H, mc, rc, n.gc, n.bc, c.PC + sb * H, H, false);
      }
      for (int b = p.b0; b < p.b1; b++) {
        act_inplace(t, c.act, c.PC + (sb + b) * H, H);
        t.lstm_norm_fwd_point(c, k, b, 0, H, CT + (size_t)b * H);
      }
    }
  });
  const size_t last = c.slot(T) * BH;  // state T
  std::copy(c.HS + last, c.HS + last + BH, c.hT);
  std::copy(c.CS + last, c.CS + last + BH, c.cT);
  if (!ln && n.training && n.bmc) std::copy(n.nc, n.nc + (size_t)T * H, n.bmc);  // μ_c: the tape's
  if (rx && n.training && n.bmx) std::copy(xmean, xmean + (size_t)T * G4, n.bmx);
  if (rx && n.training && n.bvx) std::copy(xvar, xvar + (size_t)T * G4, n.bvx);
}

// Backward: per step (reverse), from ∂h_{k+1}, ∂c_{k+1}: ∂y_c of N_c's output, ∂c̃ through N_c, the
// gate gradients ∂a (into the gates tape), ∂(ĥ·U) = N_h'(∂a) (kept for ∂U) and ∂ĥ = ∂(ĥ·U)·Uᵀ.
// Layer norm: ∂y_c kept for ∂γ_c, ∂β_c; after the loop ∂γ = Σ ∂a ⊙ x̂, ∂(x·W) = N_x'(∂a) (in place
// of x̂_x), ∂W, ∂x, ∂U, ∂b. Batch norm: the threads' turns that take the step's column sums for N'
// (BnPhases) also add ∂γ_c, ∂β_c, ∂γ_h, ∂b to their totals; with x̂_x recomputed (lstm_recomputes_x)
// the x path is in the loop too (BnXPath): nothing of [T·B, 4H] but ∂(ĥ·U) is read after it.
void lstm_norm_backward(SeqCtx& c, NormCtx& n, Pool& pool) {
  const IsaTable& t = isa();
  draw_seeded_masks(c, pool);
  float* sq = norm_sums(c, norm_unit_chunk(t.nr));  // null unless the state-gradient norms are asked for
  const int B = c.B, T = c.T, D = c.D, H = c.H, G4 = 4 * H;
  const size_t TB = (size_t)T * B, BH = (size_t)B * H;
  const bool ln = n.layer(), pg = n.per_gate(), rx = lstm_recomputes_x(c, n), tr = n.training;
  float* work = scratch(0, 4 * BH);
  c.dH = work;
  c.dC = work + BH;
  c.dHp = work + 2 * BH;
  c.tmp = work + 3 * BH;
  init_dh(c);
  std::copy(c.dcT, c.dcT + BH, c.dC);
  const size_t pst = packed_size(G4, H, t.nr);
  float* ut = scratch(1, (size_t)pool.size() * pst);  // Uᵀ [4H, H], each thread's units
  float* DHU = scratch(6, (size_t)B * G4);               // ∂(ĥ·U) of the step
  // ∂(ĥ·U) of every step as ∂U's product reads it (whole-K column panels, written as the rows come)
  const int npan = (G4 + t.nr - 1) / t.nr;
  float* DHUP = scratch(25, (size_t)npan * TB * t.nr);
  float* HST = scratch(5, TB * H);  // ĥᵀ [H, T·B], ∂U's A, written as the loop visits the rows
  float* DYC = scratch(17, ln ? TB * H : BH);            // ∂y_c (N_c's output): every step (LN), the step's (BN)
  float* DCT = scratch(18, BH);                          // ∂c̃ of the step
  float* XC = ln ? nullptr : scratch(21, BH);            // batch norm: x̂_c of the step (recomputed)
  const float* xs = step_major_x(c, scratch(2, TB * D));
  // Batch norm: the step's column sums (BnGradSums).
  const int gd = rx ? D : 0;
  const BnGradSums gs(H, G4, gd, ln ? nullptr : scratch(22, BnGradSums::shared_size(H, G4, gd)));
  if (!ln) {  // totals summed in the loop
    std::fill(n.dgc, n.dgc + H, 0.f);
    std::fill(n.dbc, n.dbc + H, 0.f);
    std::fill(n.dgh, n.dgh + G4, 0.f);
    std::fill(c.db, c.db + G4, 0.f);
    if (rx) {
      std::fill(n.dgx, n.dgx + G4, 0.f);
      std::fill(c.dW, c.dW + (size_t)D * G4, 0.f);
    }
  }
  pool.run([&](int tid, int nt) {
    const Part p = ln ? part(true, B, H, H, t.nr, tid, nt) : bn_part(B, H, H, tid, nt);
    const int M = p.b1 - p.b0;
    const BnPhases bn{t, pool, tid, nt, B};
    // this thread's means of N_c', N_h', N_x' (BnGradSums::thread_size), then room for the sums
    float* my = ln ? nullptr : scratch(24, BnGradSums::thread_size(H, G4) + 3 * (size_t)G4 + 2 * (size_t)gd * G4 + gd);
    float* tmp = ln ? nullptr : my + BnGradSums::thread_size(H, G4);
    int hc0, hc1, f0, f1;  // this thread's features of the totals: of H, of 4H
    split_range(H, nt, tid, t.nr / 2, hc0, hc1);
    split_range(G4, nt, tid, t.nr / 2, f0, f1);
    float* own = ut + (size_t)tid * pst;
    pack_part(t, p, G4, 1, H, c.U, G4, true, own, pst);
    for (int k = T - 1; k >= 0; k--) {
      const size_t kb = (size_t)k * B;
      float* dyc = DYC + (ln ? kb * H : 0);  // rows b of the step
      float* da = c.gates + kb * G4;
      add_state_sq(c, sq, norm_unit_chunk(t.nr), k, p.b0, p.b1, 0, H);  // ∂h_{k+1}, ∂c_{k+1} complete here
      for (int b = p.b0; b < p.b1; b++)
        t.lstm_norm_bwd_point(c, k, b, 0, H, 0, dyc + (size_t)b * H, DCT + (size_t)b * H);
      // ∂c̃ += N_c'(∂y_c)
      if (ln) {
        for (int b = p.b0; b < p.b1; b++) {
          const size_t o = (kb + b) * H;
          t.ln_bwd_row(DYC + o, n.nc + o, n.rc + kb + b, n.gc, DCT + (size_t)b * H, 1, H, true, true);
        }
      } else {
        // x̂_c of the step's own rows, as the forward computed it: c̃ from the gates (still the
        // activations before phase 1) and c, then (c̃ − μ_c)·rstd_c
        const float* mu = tr ? n.nc + (size_t)k * H : n.mmc + (size_t)n.moving_row(k) * H;
        const float* rs = n.rc + (size_t)k * H;
        for (int b = p.b0; b < p.b1; b++) {
          const float* gk = c.gates + (kb + b) * G4;
          const float* cm = cand_row_of(c, k, b);
          const float* cp = c.CS + (kb + b) * H;
          float* xc = XC + (size_t)b * H;
          for (int j = 0; j < H; j++) {
            const float ct = gk[H + j] * cp[j] + gk[j] * (cm ? gk[2 * H + j] * cm[j] : gk[2 * H + j]);
            xc[j] = (ct - mu[j]) * rs[j];
          }
        }
        const float* nc = XC;
        bn.own_blocks([&](int i, int r0, int r1) { gs.c_block(t, i, r0, r1, dyc, nc); });
        bn.wait();  // every block's sums
        gs.c_means(n, tr, B, hc0, hc1, my, tmp);
        t.bn_bwd_apply_rows(dyc, H, nc, H, p.b0, p.b1, 0, H, n.gc, n.rc + (size_t)k * H, my, my + H, DCT, H, true);
      }
      for (int b = p.b0; b < p.b1; b++)
        t.lstm_norm_bwd_point(c, k, b, 0, H, 1, dyc + (size_t)b * H, DCT + (size_t)b * H);
      // ∂(ĥ·U) = N_h'(∂a); batch norm with rx: the x path of the step
      if (ln) {
        for (int b = p.b0; b < p.b1; b++) {
          const size_t o = (kb + b) * G4;
          t.ln_bwd_row(c.gates + o, n.nh + o, n.rh + (kb + b) * 4, n.gh, DHU + (size_t)b * G4, 4, H, pg, false);
        }
      } else {
        const float* nh = n.nh + kb * G4;
        const float* xk = xs + kb * D;
        const float* rsx = n.rx + (size_t)k * G4;
        const float* mux = rx ? x_mean_of(c, n, k) : nullptr;
        bn.own_blocks([&](int i, int r0, int r1) { gs.h_block(t, i, r0, r1, da, nh, xk, c.W, mux, rsx); });
        bn.wait();  // every block's sums
        gs.h_means(c, n, tr, B, f0, f1, rsx, my, tmp);
        const float *m1h = my + 2 * H, *m2h = m1h + G4, *m1x = m2h + G4, *m2x = m1x + G4;
        t.bn_bwd_apply_rows(da, G4, nh, G4, p.b0, p.b1, 0, G4, n.gh, n.rh + (size_t)k * G4, m1h, m2h, DHU, G4,
                            false);
        if (rx)
          t.bn_dx_rows(da, G4, xk, p.b0, p.b1, G4, n.gx, mux, rsx, m1x, m2x, c.W, D, c.dx + (size_t)c.time_of(k) * D,
                       c.T * D);
      }
      rows_to_panels(DHU, G4, p.b0, p.b1, G4, t.nr, TB, kb, DHUP);
      part_panels(t, p, M, G4, DHU + (size_t)p.b0 * G4, G4, own, pst, 0, G4, H, c.tmp + (size_t)p.b0 * H, H);
      finish_dh(c, k, 0, H, p.b0, p.b1);
      states_t_rows(c, k, p.b0, p.b1, HST);  // ĥᵀ for ∂U's product
    }
  });
  std::copy(c.dH, c.dH + BH, c.dh0);
  std::copy(c.dC, c.dC + BH, c.dc0);
  norms_from_sums(c, sq, norm_unit_chunk(t.nr));
  const float* da = c.gates;  // [T·B, 4H]
  if (ln) {
    column_sums((int)TB, H, DYC, H, n.nc, H, n.dgc, nullptr, 0, nullptr, n.dbc, pool);
    norm_x_bwd_with_sums(c, n, 4, da, G4, n.nh, G4, n.dgh, c.db, xs, c.dW, pool);  // and ∂W
  } else if (!rx) {
    norm_x_bwd_with_sums(c, n, 4, da, G4, nullptr, 0, nullptr, nullptr, xs, c.dW, pool);  // ∂γ_x, ∂W
  }
  gemm_packed_b(H, G4, (int)TB, HST, (int)TB, DHUP, c.dU, G4, pool);
  if (!rx) {  // ∂x = ∂(x·W)·Wᵀ, ∂(x·W) in place of x̂_x
    float* wt = scratch(7, packed_size(G4, D, t.nr));  // Wᵀ [4H, D]
    pack_b(G4, D, c.W, G4, true, wt, t.nr);
    dx_from(t, c, 4, n.nx, wt, pool);
  }
}

}  // namespace regulab
