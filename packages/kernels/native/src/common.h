// Shared declarations of the native fused recurrent kernels: the per-call contexts, the table of
// ISA-specific routines (one table per instruction set, see kernels.inc) and the drivers.
#pragma once
#include <cstdint>
#include <cstddef>

#include "abi.h"

namespace regulab {

class Pool;

// Zoneout of one state: mode abi::ZONEOUT_* (none; mask [T,B,H]; expectation, the rate; seeded
// hash with key = fmix32(seed) and threshold = floor(rate * 2^24), both computed by zoneoutDraw in
// src/fused/zoneout-hash.ts and passed in).
struct Zone {
  int mode = abi::ZONEOUT_NONE;
  const float* mask = nullptr;
  float rate = 0.f;
  uint32_t key = 0;
  uint32_t threshold = 0;
};

// A seeded per-step dropout mask [T,B,H] (0 or scale = 1/(1 - p)): key = fmix32(seed) and
// threshold = floor(p * 2^24) as for zoneout, computed by dropoutDraw in src/fused/dropout-hash.ts
// and passed in. The drivers draw it into a scratch buffer at the start of a call (seq_util.h,
// draw_seeded_masks), after which it is an ordinary per-step mask.
struct Drop {
  bool on = false;
  uint32_t key = 0;
  uint32_t threshold = 0;
  float scale = 1.f;
};

// Everything one LSTM or GRU call sees. Buffers are row-major float32 (see fused/impl.ts).
struct SeqCtx {
  int B = 0, T = 0, D = 0, H = 0, G = 4;  // G: gates (4 LSTM, 3 GRU)
  const float *x = nullptr, *W = nullptr, *U = nullptr, *bias = nullptr, *h0 = nullptr, *c0 = nullptr;
  const float* rowBias = nullptr;  // GRU: the bias the cell update adds to x·W + h·U [3H] (see gru.cc)
  const float *recMask = nullptr, *candMask = nullptr, *stepMask = nullptr;
  bool candPerStep = false, goBackwards = false, resetAfter = false;
  bool recPerStep = false;  // recMask is [T,B,H] (step k's mask at recMask + k·B·H)
  Drop recDrop, candDrop;   // seeded per-step masks, drawn into recMask / candMask by the drivers
  int act = abi::ACTIVATION_TANH, ract = abi::ACTIVATION_SIGMOID;
  Zone zc, zh;
  // Tape: gates [T,B,G·H] (post-activation; overwritten by their gradients in backward),
  // HS, CS [(T+1),B,H] states, PC [T,B,H] (LSTM: φ(c̃)), UH [T,B,H] (GRU: u_h or r⊙ĥ).
  float *gates = nullptr, *HS = nullptr, *CS = nullptr, *PC = nullptr, *UH = nullptr;
  // Outputs of forward.
  float *seq = nullptr, *hT = nullptr, *cT = nullptr;
  // Backward inputs and outputs.
  const float *dSeq = nullptr, *dhT = nullptr, *dcT = nullptr;
  float *dx = nullptr, *dW = nullptr, *dU = nullptr, *db = nullptr, *dh0 = nullptr, *dc0 = nullptr;
  // Optional outputs of backward: per-example norms ‖∂L/∂h_k[b]‖, ‖∂L/∂c_k[b]‖ [T,B] (null: not asked).
  float *dhNorms = nullptr, *dcNorms = nullptr;
  // Working state, set up by the drivers.
  float* hhat[2] = {nullptr, nullptr};  // Gal-masked h double buffer [B,H]
  float *dH = nullptr, *dC = nullptr, *dHp = nullptr, *dCp = nullptr, *tmp = nullptr, *tmp2 = nullptr;
  const float* Upack = nullptr;   // packed recurrent kernel (forward: per gate; backward: U^T)
  const float* Upack2 = nullptr;  // GRU reset-before backward: U_h^T packed
  int time_of(int k) const { return goBackwards ? T - 1 - k : k; }
  // Ring tape (forward without a kept tape, abi ringTape): the tape buffers hold RING_TAPE_STEPS
  // steps, and step k's gates, PC, UH and state k live in slot k mod RING_TAPE_STEPS; else slot k.
  bool ring = false;
  size_t slot(int k) const { return ring ? (size_t)(k % abi::RING_TAPE_STEPS) : (size_t)k; }
};

// Row b of the Gal mask of step k ([B,H] per sequence, or step k of [T,B,H]); null without one.
inline const float* rec_row(const SeqCtx& c, int k, int b) {
  if (!c.recMask) return nullptr;
  return c.recMask + ((c.recPerStep ? (size_t)k * c.B : 0) + b) * c.H;
}

// Per-thread float storage kept across calls, one buffer per slot (grow-only). A per-call buffer
// of megabytes would be fresh pages on every call, and first-touch page faults cost more than the
// kernels themselves on the machines measured (~1.5 ms per MB in a 2-core VM). The contents are
// stale: every user writes a buffer before reading it. Slots 0–9 belong to the drivers (one call at
// a time per thread; 8 and 9 hold the seeded dropout masks, 16 the state-gradient norm sums), 10
// to the sgemm entry point, 11 to the GEMM's packing (pool threads), 12–14 to the convolutions
// (conv.cc), 15 to the pooling gradients (pool.cc), 17–18 to the normalised sequence
// kernels (lstm_norm.cc, gru_norm.cc), 19 to their input projection (norm_seq.h, pool threads); at
// most 26 slots (scratch.cc).
float* scratch(int slot, size_t n);

// Routines compiled once per instruction set (kernels.inc).
struct IsaTable {
  const char* name;
  int nr;  // columns per packed panel
  int mr;  // rows per micro-tile
  // C[M×nr'] (+)= A[M×K] (row stride lda) · Bp (one packed panel K×nr), nvalid ≤ nr columns stored.
  void (*panel)(int M, int K, const float* A, int lda, const float* Bp, float* C, int ldc, bool acc, int nvalid);
  // Per-step pointwise work of one row b over units [j0, j1).
  void (*lstm_fwd_point)(const SeqCtx& c, int k, int b, int j0, int j1);
  void (*lstm_bwd_point)(const SeqCtx& c, int k, int b, int j0, int j1);
  void (*gru_fwd_point)(const SeqCtx& c, int k, int b, int j0, int j1, int phase);
  void (*gru_bwd_point)(const SeqCtx& c, int k, int b, int j0, int j1, int phase);
  // y = f(x) over n floats (op codes: abi::UNARY_*).
  void (*unary)(int op, const float* x, float* y, long n);
  // One optimizer step of one variable in place (kinds abi::OPTIMIZER_*; scalars: see kernels.inc).
  void (*optimizer_update)(int kind, float* w, const float* g, float* s0, float* s1, long n, const double* p);
  // out[i] = element n0 + i of the seeded dropout mask d (0 or d.scale) for i in [0, n).
  void (*dropout_fill)(const Drop& d, float* out, long n0, long n);
  // Layer norm of one row of count blocks of H (groups: each block, or all when !per_gate): x̂ → xh,
  // rstd per block → rs, then (gamma given) out = (acc ? out : 0) + γ ⊙ x̂ + β; and its backward,
  // ∂v of dy into out (acc: added). See kernels.inc and norm_seq.h.
  void (*ln_fwd_row)(const float* v, float* xh, float* rs, int count, int H, bool per_gate, float eps,
                     const float* gamma, const float* beta, float* out, bool acc);
  void (*ln_bwd_row)(const float* dy, const float* xh, const float* rs, const float* gamma, float* out, int count,
                     int H, bool per_gate, bool acc);
  // The normalised LSTM forward's new states of one row b after N_c, from c̃ (ct, a row of H).
  void (*lstm_norm_fwd_point)(const SeqCtx& c, int k, int b, int j0, int j1, const float* ct);
  // The normalised LSTM backward's pointwise work of one row b, phase 0 before N_c' (writes ∂y_c
  // into dyc, ∂c̃ so far into dct, rows of H), phase 1 after it (lstm_norm.cc; kernels.inc).
  void (*lstm_norm_bwd_point)(const SeqCtx& c, int k, int b, int j0, int j1, int phase, float* dyc, float* dct);
  // Batch norm of features [j0, j1) of a [B, ·] block (statistics, x̂, rstd, then out = (acc ? out : 0)
  // + γ ⊙ x̂ + β when gamma is given) and its backward; column sums of products (∂γ, ∂β, ∂b). Each
  // column summed over the rows in order, one per lane: the same bits on any split (kernels.inc).
  void (*bn_fwd_cols)(const float* v, int lda, float* xh, int ldx, int B, int j0, int j1, float eps, bool training,
                      const float* mm, const float* mv, float* rs, float* bm, float* bv, const float* gamma,
                      const float* beta, float* out, int ldo, bool acc);
  void (*bn_bwd_cols)(const float* dy, int ldy, const float* xh, int ldx, int B, int j0, int j1, const float* gamma,
                      const float* rs, bool training, float* out, int ldo, bool acc);
  void (*col_sums)(int rows, int j0, int j1, const float* a, int lda, const float* b, int ldb, float* p,
                   const float* e, int lde, float* q, float* s, bool acc);
  // bn_fwd_cols and bn_bwd_cols for a step split by rows (BnPhases, norm_seq.h): rows [b0, b1) of
  // features [j0, j1) from the statistics μ, rstd (mean, rs) or the column means mg, mgx (arrays
  // indexed j); and the sums behind those statistics over a block of rows [b0, b1) in order:
  // Welford's μ and Σ (v − μ)² (continuing from rows first..b0−1), or mg += Σ dy ⊙ γ,
  // mgx += Σ dy ⊙ γ ⊙ x̂ (γ null: 1).
  void (*bn_apply_rows)(const float* v, int lda, float* xh, int ldx, int b0, int b1, int j0, int j1,
                        const float* mean, const float* rs, const float* gamma, const float* beta, float* out, int ldo,
                        bool acc);
  void (*bn_bwd_apply_rows)(const float* dy, int ldy, const float* xh, int ldx, int b0, int b1, int j0, int j1,
                            const float* gamma, const float* rs, const float* mg, const float* mgx, float* out,
                            int ldo, bool acc);
  void (*bn_welford_rows)(const float* v, int lda, int b0, int b1, int first, int j0, int j1, float* mean,
                          float* m2);
  void (*bn_bwd_sum_rows)(const float* dy, int ldy, const float* xh, int ldx, int b0, int b1, int j0, int j1,
                          const float* gamma, float* mg, float* mgx);
  // The batch-norm LSTM backward's column sums of a step over rows [b0, b1) in order (∂a, ∂a ⊙ x̂_h
  // and, with D inputs, x̂_x on the fly: ∂a ⊙ x̂_x, x ⊗ ∂a, x ⊗ x̂_x) and ∂x of rows [b0, b1)
  // (lstm_norm.cc, D <= NORM_X_RECOMPUTE_MAX_INPUTS; kernels.inc).
  void (*bn_lstm_bwd_sums)(const float* da, const float* nh, int F, int b0, int b1, const float* x, int D,
                           const float* W, const float* mu, const float* rs, float* S, float* Ph, float* Px, float* Q,
                           float* XX);
  void (*bn_dx_rows)(const float* da, int ldda, const float* x, int b0, int b1, int F, const float* gamma,
                     const float* mu, const float* rs, const float* m1, const float* m2, const float* W, int D,
                     float* dx, int lddx);
  // The batch-norm LSTM forward's gates of rows [b0, b1) in one pass: N_x (x̂_x on the fly from x,
  // or already in the gates), N_h into the x̂_h tape, the sum and the gate activations (lstm_norm.cc).
  void (*lstm_bn_gates_rows)(const float* x, int D, const float* W, const float* R, float* nh, float* gates, int b0,
                             int b1, int H, const float* mux, const float* rsx, const float* gx, const float* bias,
                             const float* muh, const float* rsh, const float* gh, int ract, int act);
};

const IsaTable* isa_avx512();
const IsaTable* isa_avx2();
const IsaTable* isa_baseline();

// The table in use (best supported unless forced).
const IsaTable& isa();
bool set_isa(const char* name);  // "avx512" | "avx2" | "baseline" | "best"

// The GEMM's K blocks: every product sums its K terms in blocks of this many, in order (code that
// streams its own packed panels into IsaTable::panel uses the same blocks, and so the same bits).
constexpr int GEMM_KC = 256;

// Packs op(B) [K×N] (B stored [K×N] with row stride ldb, or [N×K] when transB) into panels of nr
// columns: out[panel·K·nr + p·nr + c], zero-padded. out must hold ceil(N/nr)·nr·K floats.
void pack_b(int K, int N, const float* B, int ldb, bool transB, float* out, int nr);
size_t packed_size(int K, int N, int nr);

// C[M×N] (+)= A[M×K] · op(B), threaded over the pool. A row-major with stride lda.
void gemm(int M, int N, int K, const float* A, int lda, const float* B, int ldb, bool transB, float* C, int ldc,
          bool accumulate, Pool& pool);

// gemm_packed_b on the calling thread only (for work already split over the pool); the same bits.
void gemm_packed_b_serial(int M, int N, int K, const float* A, int lda, const float* Bp, float* C, int ldc,
                          bool accumulate);

// out[K×M] = in[M×K]ᵀ (in has row stride ld); the pool version splits the output rows.
// C[M×N] (+)= A·B with B given already packed over its whole K rows (pack_b(K, N, …) layout: panel
// q at Bp + q·K·nr), as gemm computes it (the same K blocks, the same bits) without packing: for a
// B that a loop writes row by row anyway (rows_to_panels), such as the normalised LSTM's ∂(ĥ·U) or
// a convolution's im2col rows.
void gemm_packed_b(int M, int N, int K, const float* A, int lda, const float* Bp, float* C, int ldc, Pool& pool,
                   bool accumulate = false);
// Rows [b0, b1) of src (row stride ld, N columns) into rows row0 + b of the whole-K packed panels
// dst (K rows; pack_b's layout, zero padding included).
void rows_to_panels(const float* src, int ld, int b0, int b1, int N, int nr, size_t K, size_t row0, float* dst);
void transpose(int M, int K, const float* in, int ld, float* out);
void transpose(int M, int K, const float* in, int ld, float* out, Pool& pool);

void lstm_forward(SeqCtx& c, Pool& pool);
void lstm_backward(SeqCtx& c, Pool& pool);
void gru_forward(SeqCtx& c, Pool& pool);
void gru_backward(SeqCtx& c, Pool& pool);

}  // namespace regulab
