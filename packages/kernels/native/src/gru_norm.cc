// Whole-sequence normalised GRU (layer norm, recurrent batch norm), reset-before and reset-after,
// forward and backward through time; design and tape layouts: NORM_KIND in src/fused/abi.ts.
//   a = N_x(x_k·W) + b_in (all steps before the loop)
//   reset-after:  u = N_h(ĥ·U) + b_rec, z, r = σ(a + u), h̃ = φ(a_h + r ⊙ u_h)
//   reset-before: [u_z u_r] = N_h([ĥ·U_z ĥ·U_r]), z, r = σ(a + u), u_h = N_h((r ⊙ ĥ)·U_h),
//                 h̃ = φ(a_h + u_h)   (layer norm 'fused': one group of 2H, then one of H)
//   h_t = zoneout(h_{t−1}, z ⊙ h_{t−1} + (1 − z) ⊙ h̃ ⊙ m_cand), padding as without norm.
// Threads own batch rows and all units: layer norm any rows (no barrier), batch norm whole blocks
// of rows (bn_part, norm_seq.h), with one barrier per statistic (BnPhases) or per group of column
// sums in the backward, each combining the blocks' partials in block order: the same bits on any
// thread count. Splitting units instead (as before) had both threads write cache lines of every
// row and read each other's half of h at every step, and was the slower.
#include "norm_seq.h"

namespace regulab {

// N_h of blocks first..first+count−1 of R (the step's recurrent products [B, 3H]) for this
// thread's rows [b0, b1): x̂ and rstd into the tapes, batch statistics when training; y = γ ⊙ x̂
// (without bias) into R. Layer norm: per row, no barrier. Batch norm: the statistics of the
// blocks' features over the whole batch (BnPhases::stats: each block of rows its Welford partials
// into part, one barrier, every thread combines them in block order); mu: this thread's μ [3H]
// then rstd [3H], indexed by feature.
static void norm_h_step(const SeqCtx& c, const NormCtx& n, const BnPhases& bn, int k, float* R, int first, int count,
                        int b0, int b1, float* part, float* mu) {
  const int B = c.B, H = c.H, G3 = 3 * H;
  const size_t kb = (size_t)k * B;
  if (n.layer()) {
    for (int b = b0; b < b1; b++) {
      const size_t o = (kb + b) * G3 + (size_t)first * H;
      float* r = R + (size_t)b * G3 + (size_t)first * H;
      isa().ln_fwd_row(r, n.nh + o, n.rh + (kb + b) * 3 + first, count, H, n.per_gate(), n.eps, n.gh + first * H,
                       nullptr, r, false);
    }
    return;
  }
  const int j0 = first * H, F = count * H;
  const bool tr = n.training;
  const size_t f = (size_t)k * G3 + j0, row = (size_t)n.moving_row(k) * G3 + j0;
  const BnStat q{R + j0, G3, F, tr ? nullptr : n.mmh + row, tr ? nullptr : n.mvh + row, n.rh + f,
                 n.bmh ? n.bmh + f : nullptr, n.bvh ? n.bvh + f : nullptr, part};
  bn.stats(q, tr, n.eps, mu + j0, mu + G3 + j0);
  isa().bn_apply_rows(R, G3, n.nh + kb * G3, G3, b0, b1, j0, j0 + F, mu, mu + G3, n.gh, nullptr, R, G3, false);
}

// Backward of norm_h_step: dy (rows of stride 3H, blocks first..) → ∂ into DHU_k (same blocks) for
// rows [b0, b1). Batch norm: the column sums Σ dy, Σ dy ⊙ x̂_h of the blocks' features over the
// batch (bn_grad_sums: per block of rows, one barrier, combined in block order), from which N_h's
// means (training) and this thread's share of the totals ∂γ_h and ∂b (db: the bias that N_h's
// output meets, indexed by feature). my: this thread's 4·3H floats (the two sums, the two means).
static void norm_h_step_bwd(const SeqCtx& c, const NormCtx& n, const BnPhases& bn, int k, const float* dy,
                            float* dhu, int first, int count, int b0, int b1, float* part, float* my, float* db) {
  const int B = c.B, H = c.H, G3 = 3 * H;
  const size_t kb = (size_t)k * B;
  if (n.layer()) {
    for (int b = b0; b < b1; b++) {
      const size_t o = (size_t)b * G3 + (size_t)first * H;
      isa().ln_bwd_row(dy + o, n.nh + kb * G3 + o, n.rh + (kb + b) * 3 + first, n.gh + first * H, dhu + o, count, H,
                       n.per_gate(), false);
    }
    return;
  }
  const int j0 = first * H, j1 = j0 + count * H;
  float *sy = my, *syx = my + G3, *m1 = my + 2 * G3, *m2 = my + 3 * G3;
  const float* nh = n.nh + kb * G3;
  bn_grad_sums(bn, dy, G3, nh, G3, j0, j1, part, sy + j0, syx + j0);
  BnGradSums::means(n.gh + j0, sy + j0, syx + j0, j1 - j0, n.training, B, m1 + j0, m2 + j0);
  int f0, f1;  // this thread's features of the totals
  split_range(j1 - j0, bn.nt, bn.tid, bn.t.nr / 2, f0, f1);
  for (int j = j0 + f0; j < j0 + f1; j++) {
    n.dgh[j] += syx[j];
    db[j] += sy[j];
  }
  isa().bn_bwd_apply_rows(dy, G3, nh, G3, b0, b1, j0, j1, n.gh, n.rh + (size_t)k * G3, m1, m2, dhu, G3, false);
}

void gru_norm_forward(SeqCtx& c, NormCtx& n, Pool& pool) {
  const IsaTable& t = isa();
  draw_seeded_masks(c, pool);  // seeded per-step Gal / Semeniuta masks (none: nothing drawn)
  const int B = c.B, T = c.T, D = c.D, H = c.H, G3 = 3 * H;
  const size_t TB = (size_t)T * B, BH = (size_t)B * H;
  const bool ln = n.layer();
  const float* brec = c.resetAfter ? c.bias + G3 : nullptr;
  const float* xs = step_major_x(c, scratch(0, TB * D));
  norm_x_all_steps(c, n, 3, xs, pool);  // N_x(x·W) + b, every step
  std::copy(c.h0, c.h0 + BH, c.HS);
  const size_t ps = packed_size(H, H, t.nr);
  float* up = scratch(1, (size_t)pool.size() * 3 * ps);  // one block per gate, each thread's copy
  if (c.recMask) {
    float* hh = scratch(2, 2 * BH);
    c.hhat[0] = hh;
    c.hhat[1] = hh + BH;
    for (size_t i = 0; i < BH; i++) c.hhat[0][i] = c.h0[i] * c.recMask[i];
  }
  float* R = scratch(4, (size_t)B * G3);  // the step's recurrent products, then N_h of them
  // Batch norm's BnStat partials, two regions ([kBnRowBlocks][2][3H] each): reset-after's one
  // statistic per step alternates between them by the step's parity, reset-before's two take one
  // each; so no thread writes a region before every thread has passed the barrier after its last
  // reading.
  const size_t pw = (size_t)kBnRowBlocks * 2 * G3;
  float* PART = ln ? nullptr : scratch(22, 2 * pw);
  pool.run([&](int tid, int nt) {
    // A thread takes batch rows and all units (layer norm: rows; batch norm: whole blocks of rows,
    // bn_part), U packed whole in its own copy; no barrier but batch norm's statistics.
    const Part p = ln ? part(true, B, H, H, t.nr, tid, nt) : bn_part(B, H, H, tid, nt);
    const int M = p.b1 - p.b0;
    const BnPhases bn{t, pool, tid, nt, B};
    float* MU = ln ? nullptr : scratch(24, 2 * (size_t)G3);  // this thread's μ, rstd of N_h's features
    float* own = up + (size_t)tid * 3 * ps;
    pack_part(t, p, H, 3, H, c.U, G3, false, own, ps);
    std::vector<float> zhb(H);  // this row's zoneout keeps
    for (int k = 0; k < T; k++) {
      const size_t kb = (size_t)k * B;
      const float* A = (c.recMask ? c.hhat[k & 1] : c.HS + kb * H) + (size_t)p.b0 * H;
      const int nfirst = c.resetAfter ? 3 : 2;  // blocks normalised before r is known
      float* part0 = ln ? nullptr : PART + (c.resetAfter ? (size_t)(k & 1) * pw : 0);
      for (int g = 0; g < nfirst; g++) part_panels(t, p, M, H, A, H, own, ps, g, H, H, R + (size_t)p.b0 * G3, G3);
      norm_h_step(c, n, bn, k, R, 0, nfirst, p.b0, p.b1, part0, MU);
      for (int b = p.b0; b < p.b1; b++) {
        float* gk = c.gates + (kb + b) * G3;
        const float* r = R + (size_t)b * G3;
        float* uh = c.UH + (kb + b) * H;
        for (int j = 0; j < H; j++) {
          gk[j] += r[j] + (brec ? brec[j] : 0.f);
          gk[H + j] += r[H + j] + (brec ? brec[H + j] : 0.f);
        }
        act_inplace(t, c.ract, gk, H);
        act_inplace(t, c.ract, gk + H, H);
        if (c.resetAfter) {
          for (int j = 0; j < H; j++) uh[j] = r[2 * H + j] + brec[2 * H + j];  // u_h
        } else {
          const float* hp = c.HS + (kb + b) * H;
          const float* m = rec_row(c, k, b);
          for (int j = 0; j < H; j++) uh[j] = gk[H + j] * (m ? hp[j] * m[j] : hp[j]);  // q = r ⊙ ĥ
        }
      }
      if (!c.resetAfter) {  // q of my rows is complete: mine alone enter (q·U_h)
        part_panels(t, p, M, H, c.UH + (kb + p.b0) * H, H, own, ps, 2, H, H, R + (size_t)p.b0 * G3, G3);
        norm_h_step(c, n, bn, k, R, 2, 1, p.b0, p.b1, ln ? nullptr : PART + pw, MU);
      }
      for (int b = p.b0; b < p.b1; b++) {
        float* gk = c.gates + (kb + b) * G3;
        const float* r = R + (size_t)b * G3;
        const float* uh = c.UH + (kb + b) * H;
        for (int j = 0; j < H; j++) gk[2 * H + j] += c.resetAfter ? gk[H + j] * uh[j] : r[2 * H + j];
        act_inplace(t, c.act, gk + 2 * H, H);
        const float* hp = c.HS + (kb + b) * H;
        float* hn = c.HS + (kb + b) * H + BH;
        const float* cm = cand_row_of(c, k, b);
        const float s = step_keep_of(c, k, b);
        const float* rn = k + 1 < T ? rec_row(c, k + 1, b) : nullptr;  // the Gal mask of the next step
        if (c.zh.mode) zone_row(c.zh, c, k, b, 0, H, zhb.data());
        for (int j = 0; j < H; j++) {
          const float z = gk[j], cand = gk[2 * H + j];
          const float hnew = z * hp[j] + (1.0f - z) * (cm ? cand * cm[j] : cand);
          float hz = hnew;
          if (c.zh.mode) hz = zhb[j] * hp[j] + (1.0f - zhb[j]) * hnew;
          if (c.stepMask) hz = s * hz + (1.0f - s) * hp[j];
          hn[j] = hz;
          if (c.seq) c.seq[((size_t)b * T + k) * H + j] = hz;
          if (rn) c.hhat[(k + 1) & 1][(size_t)b * H + j] = hz * rn[j];
        }
      }
    }
  });
  std::copy(c.HS + TB * H, c.HS + TB * H + BH, c.hT);
}

// Backward: per step (reverse) the gate gradients into the gates tape (reset-after: ∂u_h = ∂a_h ⊙ r
// into UH), ∂(ĥ·U) = N_h'(∂u) into DHU (kept for ∂U), ∂ĥ = DHU·Uᵀ (reset-before: the q path first).
// A thread takes rows as in the forward. Batch norm: the step's column sums for N_h' (per block of
// rows, combined in order after a barrier) also give ∂γ_h and the bias N_h's output meets (reset-
// after: the recurrent one; reset-before: the only one), added to the totals in the loop.
// After the loop ∂γ_x (and layer norm's ∂γ_h), ∂(x·W) = N_x'(∂a) (in place of x̂_x), ∂W, ∂x, ∂U and
// the rest of ∂b.
void gru_norm_backward(SeqCtx& c, NormCtx& n, Pool& pool) {
  const IsaTable& t = isa();
  draw_seeded_masks(c, pool);
  float* sq = norm_sums(c, norm_unit_chunk(t.nr));  // null unless the state-gradient norms are asked for
  const int B = c.B, T = c.T, D = c.D, H = c.H, G3 = 3 * H;
  const size_t TB = (size_t)T * B, BH = (size_t)B * H;
  const bool ln = n.layer();
  float* work = scratch(0, 4 * BH);
  c.dH = work;
  c.dHp = work + BH;
  c.tmp = work + 2 * BH;
  c.tmp2 = work + 3 * BH;  // reset-before: ∂z between the phases
  init_dh(c);
  const size_t pst = packed_size(G3, H, t.nr);
  float* ut = scratch(1, (size_t)pool.size() * pst);  // Uᵀ [3H, H], each thread's copy
  float* DHU = scratch(6, TB * G3);
  float* DY = scratch(17, (size_t)B * G3);  // reset-after: [∂a_z ∂a_r ∂u_h] of the step
  // Batch norm: the shared sums' two regions, used as the forward's (parity / phase); totals.
  const size_t pw = (size_t)kBnRowBlocks * 2 * G3;
  float* PART = ln ? nullptr : scratch(22, 2 * pw);
  float* dbn = c.resetAfter ? c.db + G3 : c.db;  // the bias N_h's output meets
  if (!ln) {
    std::fill(n.dgh, n.dgh + G3, 0.f);
    std::fill(dbn, dbn + G3, 0.f);
  }
  pool.run([&](int tid, int nt) {
    const Part p = ln ? part(true, B, H, H, t.nr, tid, nt) : bn_part(B, H, H, tid, nt);
    const int M = p.b1 - p.b0;
    const BnPhases bn{t, pool, tid, nt, B};
    float* my = ln ? nullptr : scratch(24, 4 * (size_t)G3);  // norm_h_step_bwd's sums and means
    float* own = ut + (size_t)tid * pst;
    pack_part(t, p, G3, 1, H, c.U, G3, true, own, pst);
    const float* ownH = own + (size_t)2 * H * t.nr;  // rows 2H..3H (U_hᵀ)
    std::vector<float> zhb(H);  // this row's zoneout keeps
    for (int k = T - 1; k >= 0; k--) {
      const size_t kb = (size_t)k * B;
      float* dhu = DHU + kb * G3;
      add_state_sq(c, sq, norm_unit_chunk(t.nr), k, p.b0, p.b1, 0, H);  // ∂h_{k+1} complete here
      for (int b = p.b0; b < p.b1; b++) {
        float* g = c.gates + (kb + b) * G3;
        float* uh = c.UH + (kb + b) * H;
        const float* hp = c.HS + (kb + b) * H;
        const float* cm = cand_row_of(c, k, b);
        float* dH = c.dH + (size_t)b * H;
        float* dHp = c.dHp + (size_t)b * H;
        float* dz = c.tmp2 + (size_t)b * H;
        const float s = step_keep_of(c, k, b);
        if (c.zh.mode) zone_row(c.zh, c, k, b, 0, H, zhb.data());
        for (int j = 0; j < H; j++) {
          float dh = dH[j];
          float dPrev = dh * (1.0f - s);
          dh *= s;
          if (c.zh.mode) {
            dPrev += dh * zhb[j];
            dh *= 1.0f - zhb[j];
          }
          const float z = g[j], r = g[H + j], cand = g[2 * H + j], cmv = cm ? cm[j] : 1.0f;
          const float dZ = dh * (hp[j] - cand * cmv);
          dPrev += dh * z;
          const float dah = dh * (1.0f - z) * cmv * dact(c.act, cand);
          g[2 * H + j] = dah;
          dHp[j] = dPrev;
          if (c.resetAfter) {
            const float u = uh[j];
            g[j] = dZ * dact(c.ract, z);
            g[H + j] = dah * u * dact(c.ract, r);
            uh[j] = dah * r;  // ∂u_h
            float* dy = DY + (size_t)b * G3;
            dy[j] = g[j];
            dy[H + j] = g[H + j];
            dy[2 * H + j] = uh[j];
          } else {
            dz[j] = dZ;
          }
        }
      }
      if (c.resetAfter) {
        norm_h_step_bwd(c, n, bn, k, DY, dhu, 0, 3, p.b0, p.b1, ln ? nullptr : PART + (size_t)(k & 1) * pw, my, dbn);
        part_panels(t, p, M, G3, dhu + (size_t)p.b0 * G3, G3, own, pst, 0, G3, H, c.tmp + (size_t)p.b0 * H, H);
        finish_dh(c, k, 0, H, p.b0, p.b1);
        continue;
      }
      norm_h_step_bwd(c, n, bn, k, c.gates + kb * G3, dhu, 2, 1, p.b0, p.b1, PART, my, dbn);
      // dq = ∂(q·U_h)·U_hᵀ (my rows' DHU h block is complete), then ∂a_z, ∂a_r and the q path of ∂ĥ
      part_panels(t, p, M, H, dhu + (size_t)p.b0 * G3 + 2 * H, G3, ownH, pst, 0, G3, H, c.tmp + (size_t)p.b0 * H, H);
      for (int b = p.b0; b < p.b1; b++) {
        float* g = c.gates + (kb + b) * G3;
        const float* hp = c.HS + (kb + b) * H;
        const float* m = rec_row(c, k, b);
        const float* dq = c.tmp + (size_t)b * H;
        const float* dz = c.tmp2 + (size_t)b * H;
        float* dHp = c.dHp + (size_t)b * H;
        for (int j = 0; j < H; j++) {
          const float mm = m ? m[j] : 1.0f, r = g[H + j], z = g[j];
          g[H + j] = dq[j] * (hp[j] * mm) * dact(c.ract, r);
          g[j] = dz[j] * dact(c.ract, z);
          dHp[j] += dq[j] * r * mm;
        }
      }
      norm_h_step_bwd(c, n, bn, k, c.gates + kb * G3, dhu, 0, 2, p.b0, p.b1, ln ? nullptr : PART + pw, my, dbn);
      part_panels(t, p, M, 2 * H, dhu + (size_t)p.b0 * G3, G3, own, pst, 0, G3, H, c.tmp + (size_t)p.b0 * H, H);
      finish_dh(c, k, 0, H, p.b0, p.b1);
    }
  });
  std::copy(c.dH, c.dH + BH, c.dh0);
  norms_from_sums(c, sq, norm_unit_chunk(t.nr));
  const float* da = c.gates;  // [T·B, 3H]: ∂a_z, ∂a_r, ∂a_h
  const float* xs = step_major_x(c, scratch(2, TB * D));
  float* dxw = n.nx;  // ∂(x·W) in place of x̂_x
  if (!ln) {
    // ∂γ_x, the input bias's ∂b (reset-after; reset-before's came from the loop), ∂(x·W) and ∂W in
    // one pass over the steps (norm_x_bwd_with_sums)
    norm_x_bwd_with_sums(c, n, 3, da, G3, nullptr, 0, nullptr, c.resetAfter ? c.db : nullptr, xs, c.dW, pool);
  } else if (c.resetAfter) {
    // ∂γ_x, ∂γ_h, ∂b in one pass over ∂a (the h block's ∂γ_h and second bias from u_h)
    column_sums((int)TB, 2 * H, da, G3, n.nh, G3, n.dgh, n.nx, G3, n.dgx, c.db, pool);
    column_sums((int)TB, H, da + 2 * H, G3, n.nx + 2 * H, G3, n.dgx + 2 * H, nullptr, 0, nullptr, c.db + 2 * H, pool);
    std::copy(c.db, c.db + 2 * H, c.db + G3);  // the recurrent bias's z, r parts: the same sums
    column_sums((int)TB, H, c.UH, H, n.nh + 2 * H, G3, n.dgh + 2 * H, nullptr, 0, nullptr, c.db + G3 + 2 * H, pool);
    norm_all_steps_bwd(c, n, 3, da, G3, n.nx, n.rx, n.gx, n.nx, pool);
  } else {
    norm_x_bwd_with_sums(c, n, 3, da, G3, n.nh, G3, n.dgh, c.db, nullptr, nullptr, pool);
  }
  if (ln) {
    float* xst = scratch(3, (size_t)D * TB);
    transpose((int)TB, D, xs, D, xst, pool);
    gemm(D, G3, (int)TB, xst, (int)TB, dxw, G3, false, c.dW, G3, false, pool);
  }
  const float* hst = masked_states_t(c, scratch(4, TB * H), scratch(5, TB * H), pool);
  if (c.resetAfter) {
    gemm(H, G3, (int)TB, hst, (int)TB, DHU, G3, false, c.dU, G3, false, pool);
  } else {
    gemm(H, 2 * H, (int)TB, hst, (int)TB, DHU, G3, false, c.dU, G3, false, pool);
    float* qt = scratch(18, (size_t)H * TB);
    transpose((int)TB, H, c.UH, H, qt, pool);  // UH holds q = r ⊙ ĥ
    gemm(H, H, (int)TB, qt, (int)TB, DHU + 2 * H, G3, false, c.dU + 2 * H, G3, false, pool);
  }
  float* wt = scratch(7, packed_size(G3, D, t.nr));  // Wᵀ [3H, D]
  pack_b(G3, D, c.W, G3, true, wt, t.nr);
  dx_from(t, c, 3, dxw, wt, pool);
}

}  // namespace regulab
