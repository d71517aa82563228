// Whole-sequence normalised GRU (layer norm, recurrent batch norm), reset-before and reset-after,
// forward and backward through time; design and tape layouts: NORM_KIND in src/fused/abi.ts.
//   a = N_x(x_k·W) + b_in (all steps before the loop)
//   reset-after:  u = N_h(ĥ·U) + b_rec, z, r = σ(a + u), h̃ = φ(a_h + r ⊙ u_h)
//   reset-before: [u_z u_r] = N_h([ĥ·U_z ĥ·U_r]), z, r = σ(a + u), u_h = N_h((r ⊙ ĥ)·U_h),
//                 h̃ = φ(a_h + u_h)   (layer norm 'fused': one group of 2H, then one of H)
//   h_t = zoneout(h_{t−1}, z ⊙ h_{t−1} + (1 − z) ⊙ h̃ ⊙ m_cand), padding as without norm.
// Threads own batch rows (layer norm, no barrier) or units of every gate (batch norm; barriers
// where the un-normalised units split has them).
#include "norm_seq.h"

namespace regulab {

// N_h of blocks first..first+count−1 of R (the step's recurrent products [B, 3H]) for rows
// [b0, b1) (layer norm) or units [u0, u1) of every row (batch norm): x̂ and rstd into the tapes,
// batch statistics when training; y = γ ⊙ x̂ (without bias) into R.
static void norm_h_step(const SeqCtx& c, const NormCtx& n, int k, float* R, int first, int count, int b0, int b1,
                        int u0, int u1) {
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
  const int row = n.moving_row(k);
  for (int g = first; g < first + count; g++) {
    const int j0 = g * H + u0, j1 = g * H + u1;
    bn_fwd_cols(R, G3, n.nh + kb * G3, G3, B, j0, j1, n.eps, n.training,
                n.training ? nullptr : n.mmh + (size_t)row * G3, n.training ? nullptr : n.mvh + (size_t)row * G3,
                n.rh + (size_t)k * G3, n.bmh ? n.bmh + (size_t)k * G3 : nullptr,
                n.bvh ? n.bvh + (size_t)k * G3 : nullptr, n.gh, nullptr, R, G3, false);
  }
}

// Backward of norm_h_step: dy (rows of stride 3H, blocks first..) → ∂ into DHU_k (same blocks).
static void norm_h_step_bwd(const SeqCtx& c, const NormCtx& n, int k, const float* dy, float* dhu, int first,
                            int count, int b0, int b1, int u0, int u1) {
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
  for (int g = first; g < first + count; g++)
    bn_bwd_cols(dy, G3, n.nh + kb * G3, G3, B, g * H + u0, g * H + u1, n.gh, n.rh + (size_t)k * G3, n.training, dhu,
                G3, false);
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
  float* up = scratch(1, (size_t)pool.size() * 3 * ps);  // one block per gate, each thread's columns (norm_part)
  if (c.recMask) {
    float* hh = scratch(2, 2 * BH);
    c.hhat[0] = hh;
    c.hhat[1] = hh + BH;
    for (size_t i = 0; i < BH; i++) c.hhat[0][i] = c.h0[i] * c.recMask[i];
  }
  float* R = scratch(4, (size_t)B * G3);  // the step's recurrent products, then N_h of them
  pool.run([&](int tid, int nt) {
    const Part p = norm_part(ln, B, H, H, t.nr, tid, nt);
    const int M = p.b1 - p.b0, u0 = p.u0, u1 = p.u1, nu = u1 - u0;
    const bool mine = M > 0 && nu > 0;
    float* own = up + (size_t)tid * 3 * ps;
    pack_part(t, p, H, 3, H, c.U, G3, false, own, ps);
    std::vector<float> zhb(H);  // this row's zoneout keeps
    for (int k = 0; k < T; k++) {
      const size_t kb = (size_t)k * B;
      const float* A = (c.recMask ? c.hhat[k & 1] : c.HS + kb * H) + (size_t)p.b0 * H;
      const int nfirst = c.resetAfter ? 3 : 2;  // blocks normalised before r is known
      if (mine) {
        for (int g = 0; g < nfirst; g++) part_panels(t, p, M, H, A, H, own, ps, g, H, H, R + (size_t)p.b0 * G3, G3);
        norm_h_step(c, n, k, R, 0, nfirst, p.b0, p.b1, u0, u1);
        for (int b = p.b0; b < p.b1; b++) {
          float* gk = c.gates + (kb + b) * G3;
          const float* r = R + (size_t)b * G3;
          float* uh = c.UH + (kb + b) * H;
          for (int j = u0; j < u1; j++) {
            gk[j] += r[j] + (brec ? brec[j] : 0.f);
            gk[H + j] += r[H + j] + (brec ? brec[H + j] : 0.f);
          }
          act_inplace(t, c.ract, gk + u0, nu);
          act_inplace(t, c.ract, gk + H + u0, nu);
          if (c.resetAfter) {
            for (int j = u0; j < u1; j++) uh[j] = r[2 * H + j] + brec[2 * H + j];  // u_h
          } else {
            const float* hp = c.HS + (kb + b) * H;
            const float* m = rec_row(c, k, b);
            for (int j = u0; j < u1; j++) uh[j] = gk[H + j] * (m ? hp[j] * m[j] : hp[j]);  // q = r ⊙ ĥ
          }
        }
      }
      if (!c.resetAfter) {
        if (!ln) pool.barrier();  // q complete
        if (mine) {
          part_panels(t, p, M, H, c.UH + (kb + p.b0) * H, H, own, ps, 2, H, H, R + (size_t)p.b0 * G3, G3);
          norm_h_step(c, n, k, R, 2, 1, p.b0, p.b1, u0, u1);
        }
      }
      if (mine) {
        for (int b = p.b0; b < p.b1; b++) {
          float* gk = c.gates + (kb + b) * G3;
          const float* r = R + (size_t)b * G3;
          const float* uh = c.UH + (kb + b) * H;
          for (int j = u0; j < u1; j++) gk[2 * H + j] += c.resetAfter ? gk[H + j] * uh[j] : r[2 * H + j];
          act_inplace(t, c.act, gk + 2 * H + u0, nu);
          const float* hp = c.HS + (kb + b) * H;
          float* hn = c.HS + (kb + b) * H + BH;
          const float* cm = cand_row_of(c, k, b);
          const float s = step_keep_of(c, k, b);
          const float* rn = k + 1 < T ? rec_row(c, k + 1, b) : nullptr;  // the Gal mask of the next step
          if (c.zh.mode) zone_row(c.zh, c, k, b, u0, u1, zhb.data());
          for (int j = u0; j < u1; j++) {
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
      if (!ln) pool.barrier();
    }
  });
  std::copy(c.HS + TB * H, c.HS + TB * H + BH, c.hT);
}

// Backward: per step (reverse) the gate gradients into the gates tape (reset-after: ∂u_h = ∂a_h ⊙ r
// into UH), ∂(ĥ·U) = N_h'(∂u) into DHU (kept for ∂U), ∂ĥ = DHU·Uᵀ (reset-before: the q path first).
// After the loop ∂γ, ∂(x·W) = N_x'(∂a) (in place of x̂_x), ∂W, ∂x, ∂U, ∂b.
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
  float* ut = scratch(1, (size_t)pool.size() * pst);  // Uᵀ [3H, H], each thread's units (norm_part)
  float* DHU = scratch(6, TB * G3);
  float* DY = scratch(17, (size_t)B * G3);  // reset-after: [∂a_z ∂a_r ∂u_h] of the step
  pool.run([&](int tid, int nt) {
    const Part p = norm_part(ln, B, H, H, t.nr, tid, nt);
    const int M = p.b1 - p.b0, u0 = p.u0, u1 = p.u1;
    const bool mine = M > 0 && u1 > u0;
    float* own = ut + (size_t)tid * pst;
    pack_part(t, p, G3, 1, H, c.U, G3, true, own, pst);
    const float* ownH = own + (size_t)2 * H * t.nr;  // rows 2H..3H (U_hᵀ)
    std::vector<float> zhb(H);  // this row's zoneout keeps
    for (int k = T - 1; k >= 0; k--) {
      const size_t kb = (size_t)k * B;
      float* dhu = DHU + kb * G3;
      if (mine) {
        add_state_sq(c, sq, norm_unit_chunk(t.nr), k, p.b0, p.b1, u0, u1);  // ∂h_{k+1} complete here
        for (int b = p.b0; b < p.b1; b++) {
          float* g = c.gates + (kb + b) * G3;
          float* uh = c.UH + (kb + b) * H;
          const float* hp = c.HS + (kb + b) * H;
          const float* cm = cand_row_of(c, k, b);
          float* dH = c.dH + (size_t)b * H;
          float* dHp = c.dHp + (size_t)b * H;
          float* dz = c.tmp2 + (size_t)b * H;
          const float s = step_keep_of(c, k, b);
          if (c.zh.mode) zone_row(c.zh, c, k, b, u0, u1, zhb.data());
          for (int j = u0; j < u1; j++) {
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
          norm_h_step_bwd(c, n, k, DY, dhu, 0, 3, p.b0, p.b1, u0, u1);
        } else {
          norm_h_step_bwd(c, n, k, c.gates + kb * G3, dhu, 2, 1, p.b0, p.b1, u0, u1);
        }
      }
      if (!ln) pool.barrier();  // DHU of the step (reset-before: its h block) complete
      if (c.resetAfter) {
        if (mine) {
          part_panels(t, p, M, G3, dhu + (size_t)p.b0 * G3, G3, own, pst, 0, G3, H, c.tmp + (size_t)p.b0 * H, H);
          finish_dh(c, k, u0, u1, p.b0, p.b1);
        }
        continue;
      }
      if (mine) {
        // dq = ∂(q·U_h)·U_hᵀ, then ∂a_z, ∂a_r and the q path of ∂ĥ
        part_panels(t, p, M, H, dhu + (size_t)p.b0 * G3 + 2 * H, G3, ownH, pst, 0, G3, H, c.tmp + (size_t)p.b0 * H, H);
        for (int b = p.b0; b < p.b1; b++) {
          float* g = c.gates + (kb + b) * G3;
          const float* hp = c.HS + (kb + b) * H;
          const float* m = rec_row(c, k, b);
          const float* dq = c.tmp + (size_t)b * H;
          const float* dz = c.tmp2 + (size_t)b * H;
          float* dHp = c.dHp + (size_t)b * H;
          for (int j = u0; j < u1; j++) {
            const float mm = m ? m[j] : 1.0f, r = g[H + j], z = g[j];
            g[H + j] = dq[j] * (hp[j] * mm) * dact(c.ract, r);
            g[j] = dz[j] * dact(c.ract, z);
            dHp[j] += dq[j] * r * mm;
          }
        }
        norm_h_step_bwd(c, n, k, c.gates + kb * G3, dhu, 0, 2, p.b0, p.b1, u0, u1);
      }
      if (!ln) pool.barrier();  // DHU's z, r blocks complete
      if (mine) {
        part_panels(t, p, M, 2 * H, dhu + (size_t)p.b0 * G3, G3, own, pst, 0, G3, H, c.tmp + (size_t)p.b0 * H, H);
        finish_dh(c, k, u0, u1, p.b0, p.b1);
      }
    }
  });
  std::copy(c.dH, c.dH + BH, c.dh0);
  norms_from_sums(c, sq, norm_unit_chunk(t.nr));
  const float* da = c.gates;  // [T·B, 3H]: ∂a_z, ∂a_r, ∂a_h
  // ∂γ_x, ∂γ_h, ∂b in one pass over ∂a (reset-after: the h block's ∂γ_h and second bias from u_h).
  if (c.resetAfter) {
    column_sums((int)TB, 2 * H, da, G3, n.nh, G3, n.dgh, n.nx, G3, n.dgx, c.db, pool);
    column_sums((int)TB, H, da + 2 * H, G3, n.nx + 2 * H, G3, n.dgx + 2 * H, nullptr, 0, nullptr, c.db + 2 * H, pool);
    std::copy(c.db, c.db + 2 * H, c.db + G3);  // the recurrent bias's z, r parts: the same sums
    column_sums((int)TB, H, c.UH, H, n.nh + 2 * H, G3, n.dgh + 2 * H, nullptr, 0, nullptr, c.db + G3 + 2 * H, pool);
    norm_all_steps_bwd(c, n, 3, da, G3, n.nx, n.rx, n.gx, n.nx, pool);
  } else {
    norm_x_bwd_with_sums(c, n, 3, da, G3, n.nh, G3, n.dgh, c.db, nullptr, nullptr, pool);
  }
  float* dxw = n.nx;  // ∂(x·W) in place of x̂_x
  const float* xs = step_major_x(c, scratch(2, TB * D));
  float* xst = scratch(3, (size_t)D * TB);
  transpose((int)TB, D, xs, D, xst, pool);
  gemm(D, G3, (int)TB, xst, (int)TB, dxw, G3, false, c.dW, G3, false, pool);
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
