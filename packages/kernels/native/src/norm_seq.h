// Normalisation inside the fused LSTM and GRU (layer norm, recurrent batch norm): the per-call
// context and the helpers shared by lstm_norm.cc and gru_norm.cc. Design, slots and tape layouts:
// NORM_KIND in src/fused/abi.ts; semantics: packages/core/src/layers/recurrent/step-normalization.ts.
// Kept apart from the un-normalised drivers (lstm.cc, gru.cc), whose bits do not change.
#pragma once
#include <algorithm>
#include <cmath>
#include <vector>

#include "seq_util.h"

namespace regulab {

// What a normalised call adds to SeqCtx (null pointers where its kind has none).
struct NormCtx {
  int kind = abi::NORM_NONE, scope = abi::NORM_SCOPE_FUSED, maxSteps = 0;
  bool training = false;
  float eps = 1e-3f;
  const float *gx = nullptr, *gh = nullptr, *gc = nullptr, *bc = nullptr;  // γ_x, γ_h [G·H]; γ_c, β_c [H]
  const float *mmx = nullptr, *mvx = nullptr, *mmh = nullptr, *mvh = nullptr, *mmc = nullptr, *mvc = nullptr;
  float *nx = nullptr, *nh = nullptr, *nc = nullptr;  // x̂ tapes [T·B, F]
  float *rx = nullptr, *rh = nullptr, *rc = nullptr;  // rstd tapes: LN [T·B, blocks], BN [T, F]
  float *bmx = nullptr, *bvx = nullptr, *bmh = nullptr, *bvh = nullptr, *bmc = nullptr, *bvc = nullptr;
  float *dgx = nullptr, *dgh = nullptr, *dgc = nullptr, *dbc = nullptr;
  bool layer() const { return kind == abi::NORM_LAYER; }
  bool per_gate() const { return scope == abi::NORM_SCOPE_GATE; }
  // Batch norm inference reads moving statistics row min(k, maxSteps − 1).
  int moving_row(int k) const { return std::min(k, maxSteps - 1); }
};

void lstm_norm_forward(SeqCtx& c, NormCtx& n, Pool& pool);
void lstm_norm_backward(SeqCtx& c, NormCtx& n, Pool& pool);
void gru_norm_forward(SeqCtx& c, NormCtx& n, Pool& pool);
void gru_norm_backward(SeqCtx& c, NormCtx& n, Pool& pool);

}  // namespace regulab
