// N-API bindings of the whole-sequence LSTM and GRU calls (registered by addon.cc):
//   lstmForward(ints, floats, bufs), lstmBackward(...), gruForward(...), gruBackward(...)
//   ints  Int32Array, floats Float64Array, bufs Array of Float32Array | null: every slot is named
//   in src/fused/abi.ts, whose generated copy abi.h gives the indices used here. Each entry point
//   checks the layout, reads the cell's, the normalisation's and the tape's arguments into SeqCtx
//   and NormCtx, and runs the driver (lstm.cc, gru.cc, lstm_norm.cc, gru_norm.cc).
#include <string>

#include "abi.h"
#include "addon_util.h"
#include "common.h"
#include "norm_seq.h"

namespace regulab {
namespace {

// One state's zoneout; the seeded draw's key and threshold come computed (zoneoutDraw in TypeScript).
Zone zone(int mode, double rate, int32_t key, int32_t threshold, const float* mask) {
  Zone z;
  z.mode = mode;
  z.rate = (float)rate;
  z.mask = mask;
  z.key = (uint32_t)key;
  z.threshold = (uint32_t)threshold;
  return z;
}

// One seeded dropout mask; key, threshold and scale come computed (dropoutDraw in TypeScript).
Drop drop(int32_t seeded, int32_t key, int32_t threshold, double scale) {
  Drop d;
  d.on = seeded != 0;
  d.key = (uint32_t)key;
  d.threshold = (uint32_t)threshold;
  d.scale = (float)scale;
  return d;
}

// What is wrong with the arguments of a sequence call whose bufs must hold `nbufs` ("" if nothing).
std::string misfit(const Napi::CallbackInfo& info, uint32_t nbufs) {
  if (info.Length() < 3 || !typed(info[0], napi_int32_array) || !typed(info[1], napi_float64_array) ||
      !info[2].IsArray())
    return "expects (Int32Array ints, Float64Array floats, Array bufs)";
  size_t ni = info[0].As<Napi::Int32Array>().ElementLength(), nf = info[1].As<Napi::Float64Array>().ElementLength();
  uint32_t nb = info[2].As<Napi::Array>().Length();
  if (ni != (size_t)abi::INTS_COUNT)
    return "got " + std::to_string(ni) + " ints, expects " + std::to_string(abi::INTS_COUNT);
  if (nf != (size_t)abi::FLOATS_COUNT)
    return "got " + std::to_string(nf) + " floats, expects " + std::to_string(abi::FLOATS_COUNT);
  if (nb != nbufs) return "got " + std::to_string(nb) + " buffers, expects " + std::to_string(nbufs);
  return "";
}

// Throws unless the arguments fit the layout of abi.h; false after throwing.
bool check(const Napi::CallbackInfo& info, const char* name, uint32_t nbufs) {
  std::string why = misfit(info, nbufs);
  if (why.empty()) return true;
  fail(info, std::string(name) + ": " + why + " (the addon and src/fused/abi.ts disagree: rebuild it with " +
                 "npm run build:native -w packages/kernels)");
  return false;
}

// Reads ints, floats and the cell's input buffers (abi::LSTM_* or abi::GRU_*) into c.
void parse(const Napi::CallbackInfo& info, SeqCtx& c, bool lstm) {
  const int32_t* p = info[0].As<Napi::Int32Array>().Data();
  const double* f = info[1].As<Napi::Float64Array>().Data();
  Napi::Array a = info[2].As<Napi::Array>();
  c.B = p[abi::INTS_BATCH];
  c.T = p[abi::INTS_STEPS];
  c.D = p[abi::INTS_INPUT_DIM];
  c.H = p[abi::INTS_UNITS];
  c.goBackwards = p[abi::INTS_GO_BACKWARDS] != 0;
  c.act = p[abi::INTS_ACTIVATION];
  c.ract = p[abi::INTS_RECURRENT_ACTIVATION];
  c.candPerStep = p[abi::INTS_CANDIDATE_PER_STEP] != 0;
  c.resetAfter = !lstm && p[abi::INTS_RESET_AFTER] != 0;
  c.G = lstm ? 4 : 3;
  c.x = buf(a, lstm ? abi::LSTM_X : abi::GRU_X);
  c.W = buf(a, lstm ? abi::LSTM_KERNEL : abi::GRU_KERNEL);
  c.U = buf(a, lstm ? abi::LSTM_RECURRENT_KERNEL : abi::GRU_RECURRENT_KERNEL);
  c.bias = buf(a, lstm ? abi::LSTM_BIAS : abi::GRU_BIAS);
  c.h0 = buf(a, lstm ? abi::LSTM_H0 : abi::GRU_H0);
  c.c0 = lstm ? buf(a, abi::LSTM_C0) : nullptr;
  c.recMask = buf(a, lstm ? abi::LSTM_RECURRENT_MASK : abi::GRU_RECURRENT_MASK);
  c.candMask = buf(a, lstm ? abi::LSTM_CANDIDATE_MASK : abi::GRU_CANDIDATE_MASK);
  c.stepMask = buf(a, lstm ? abi::LSTM_STEP_MASK : abi::GRU_STEP_MASK);
  c.recPerStep = p[abi::INTS_RECURRENT_PER_STEP] != 0;
  c.ring = p[abi::INTS_RING_TAPE] != 0;
  c.recDrop = drop(p[abi::INTS_RECURRENT_DROPOUT_SEEDED], p[abi::INTS_RECURRENT_DROPOUT_KEY],
                   p[abi::INTS_RECURRENT_DROPOUT_THRESHOLD], f[abi::FLOATS_RECURRENT_DROPOUT_SCALE]);
  c.candDrop = drop(p[abi::INTS_CANDIDATE_DROPOUT_SEEDED], p[abi::INTS_CANDIDATE_DROPOUT_KEY],
                    p[abi::INTS_CANDIDATE_DROPOUT_THRESHOLD], f[abi::FLOATS_CANDIDATE_DROPOUT_SCALE]);
  if (lstm)
    c.zc = zone(p[abi::INTS_ZONEOUT_CELL_MODE], f[abi::FLOATS_ZONEOUT_CELL_RATE], p[abi::INTS_ZONEOUT_CELL_KEY],
                p[abi::INTS_ZONEOUT_CELL_THRESHOLD], buf(a, abi::LSTM_ZONEOUT_CELL_MASK));
  c.zh = zone(p[abi::INTS_ZONEOUT_HIDDEN_MODE], f[abi::FLOATS_ZONEOUT_HIDDEN_RATE], p[abi::INTS_ZONEOUT_HIDDEN_KEY],
              p[abi::INTS_ZONEOUT_HIDDEN_THRESHOLD],
              buf(a, lstm ? abi::LSTM_ZONEOUT_HIDDEN_MASK : abi::GRU_ZONEOUT_HIDDEN_MASK));
}

// Whether the int slot `slot` of a sequence call is set.
bool p_flag(const Napi::CallbackInfo& info, int slot) { return info[0].As<Napi::Int32Array>().Data()[slot] != 0; }
// Reads the normalisation's ints, ε and input buffers (abi::LSTM_GAMMA_X.. or abi::GRU_GAMMA_X..).
void parse_norm(const Napi::CallbackInfo& info, NormCtx& n, bool lstm) {
  const int32_t* p = info[0].As<Napi::Int32Array>().Data();
  const double* f = info[1].As<Napi::Float64Array>().Data();
  Napi::Array a = info[2].As<Napi::Array>();
  n.kind = p[abi::INTS_NORM_KIND];
  if (n.kind == abi::NORM_NONE) return;
  n.scope = p[abi::INTS_NORM_SCOPE];
  n.training = p[abi::INTS_NORM_TRAINING] != 0;
  n.maxSteps = p[abi::INTS_NORM_MAX_STEPS];
  n.eps = (float)f[abi::FLOATS_NORM_EPSILON];
  n.gx = buf(a, lstm ? abi::LSTM_GAMMA_X : abi::GRU_GAMMA_X);
  n.gh = buf(a, lstm ? abi::LSTM_GAMMA_H : abi::GRU_GAMMA_H);
  n.mmx = buf(a, lstm ? abi::LSTM_MOVING_MEAN_X : abi::GRU_MOVING_MEAN_X);
  n.mvx = buf(a, lstm ? abi::LSTM_MOVING_VARIANCE_X : abi::GRU_MOVING_VARIANCE_X);
  n.mmh = buf(a, lstm ? abi::LSTM_MOVING_MEAN_H : abi::GRU_MOVING_MEAN_H);
  n.mvh = buf(a, lstm ? abi::LSTM_MOVING_VARIANCE_H : abi::GRU_MOVING_VARIANCE_H);
  if (lstm) {
    n.gc = buf(a, abi::LSTM_GAMMA_C);
    n.bc = buf(a, abi::LSTM_BETA_C);
    n.mmc = buf(a, abi::LSTM_MOVING_MEAN_C);
    n.mvc = buf(a, abi::LSTM_MOVING_VARIANCE_C);
  }
}

// What is wrong with a normalised call's arguments ("" if nothing): the buffers its kind needs.
std::string norm_misfit(const NormCtx& n, bool lstm) {
  if (n.kind == abi::NORM_NONE) return "";
  if (n.kind < 0 || n.kind >= abi::NORM_COUNT) return "unknown normKind " + std::to_string(n.kind);
  if (!n.gx || !n.gh || (lstm && (!n.gc || !n.bc))) return "a normalised call needs every gamma (and betaC)";
  if (n.kind == abi::NORM_BATCH && !n.training &&
      (n.maxSteps < 1 || !n.mmx || !n.mvx || !n.mmh || !n.mvh || (lstm && (!n.mmc || !n.mvc))))
    return "batch-norm inference needs the moving statistics and normMaxSteps >= 1";
  return "";
}

bool check_norm(const Napi::CallbackInfo& info, const char* name, const NormCtx& n, bool lstm) {
  std::string why = norm_misfit(n, lstm);
  if (why.empty()) return true;
  fail(info, std::string(name) + ": " + why);
  return false;
}

// A ring tape holds no history: only forward calls take one, without normalisation or (the LSTM)
// with batch norm in inference that recomputes x̂_x (its other normalised quantities are per step
// in the loop; layer norm and a kept x̂_x project every step at once). False after throwing.
bool check_ring(const Napi::CallbackInfo& info, const char* name, const SeqCtx& c, const NormCtx& n,
                       bool forward, bool lstm) {
  const bool bn_inference = lstm && !n.training && lstm_recomputes_x(c, n);
  if (!c.ring || (forward && (n.kind == abi::NORM_NONE || bn_inference))) return true;
  fail(info, std::string(name) +
                 ": ringTape 1 is for forward calls without normalisation or, in the LSTM, with batch-norm " +
                 "inference on at most " + std::to_string(abi::NORM_X_RECOMPUTE_MAX_INPUTS) + " inputs (got " +
                 (forward ? "normKind " + std::to_string(n.kind) : std::string("a backward call")) + ")");
  return false;
}

Napi::Value LstmForward(const Napi::CallbackInfo& info) {
  if (!check(info, "lstmForward", abi::LSTM_FORWARD_COUNT)) return info.Env().Undefined();
  SeqCtx c;
  parse(info, c, true);
  Napi::Array a = info[2].As<Napi::Array>();
  c.seq = buf(a, abi::LSTM_FORWARD_SEQUENCE);
  c.hT = buf(a, abi::LSTM_FORWARD_H);
  c.cT = buf(a, abi::LSTM_FORWARD_C);
  c.gates = buf(a, abi::LSTM_FORWARD_TAPE_GATES);
  c.HS = buf(a, abi::LSTM_FORWARD_TAPE_HS);
  c.CS = buf(a, abi::LSTM_FORWARD_TAPE_CS);
  c.PC = buf(a, abi::LSTM_FORWARD_TAPE_PC);
  NormCtx n;
  parse_norm(info, n, true);
  if (!check_norm(info, "lstmForward", n, true)) return info.Env().Undefined();
  if (!check_ring(info, "lstmForward", c, n, true, true)) return info.Env().Undefined();
  if (n.kind == abi::NORM_NONE) {
    lstm_forward(c, pool());
    return info.Env().Undefined();
  }
  n.nx = buf(a, abi::LSTM_FORWARD_TAPE_NORM_X);
  n.nh = buf(a, abi::LSTM_FORWARD_TAPE_NORM_H);
  n.nc = buf(a, abi::LSTM_FORWARD_TAPE_NORM_C);
  n.rx = buf(a, abi::LSTM_FORWARD_TAPE_RSTD_X);
  n.rh = buf(a, abi::LSTM_FORWARD_TAPE_RSTD_H);
  n.rc = buf(a, abi::LSTM_FORWARD_TAPE_RSTD_C);
  n.bmx = buf(a, abi::LSTM_FORWARD_BATCH_MEAN_X);
  n.bvx = buf(a, abi::LSTM_FORWARD_BATCH_VARIANCE_X);
  n.bmh = buf(a, abi::LSTM_FORWARD_BATCH_MEAN_H);
  n.bvh = buf(a, abi::LSTM_FORWARD_BATCH_VARIANCE_H);
  n.bmc = buf(a, abi::LSTM_FORWARD_BATCH_MEAN_C);
  n.bvc = buf(a, abi::LSTM_FORWARD_BATCH_VARIANCE_C);
  lstm_norm_forward(c, n, pool());
  return info.Env().Undefined();
}

Napi::Value LstmBackward(const Napi::CallbackInfo& info) {
  if (!check(info, "lstmBackward", abi::LSTM_BACKWARD_COUNT)) return info.Env().Undefined();
  SeqCtx c;
  parse(info, c, true);
  Napi::Array a = info[2].As<Napi::Array>();
  c.gates = buf(a, abi::LSTM_BACKWARD_TAPE_GATES);
  c.HS = buf(a, abi::LSTM_BACKWARD_TAPE_HS);
  c.CS = buf(a, abi::LSTM_BACKWARD_TAPE_CS);
  c.PC = buf(a, abi::LSTM_BACKWARD_TAPE_PC);
  c.dSeq = buf(a, abi::LSTM_BACKWARD_D_SEQUENCE);
  c.dhT = buf(a, abi::LSTM_BACKWARD_DH);
  c.dcT = buf(a, abi::LSTM_BACKWARD_DC);
  c.dx = buf(a, abi::LSTM_BACKWARD_DX);
  c.dW = buf(a, abi::LSTM_BACKWARD_D_KERNEL);
  c.dU = buf(a, abi::LSTM_BACKWARD_D_RECURRENT_KERNEL);
  c.db = buf(a, abi::LSTM_BACKWARD_D_BIAS);
  c.dh0 = buf(a, abi::LSTM_BACKWARD_DH0);
  c.dc0 = buf(a, abi::LSTM_BACKWARD_DC0);
  if (p_flag(info, abi::INTS_STATE_GRADIENT_NORMS)) {
    c.dhNorms = buf(a, abi::LSTM_BACKWARD_DH_NORMS);
    c.dcNorms = buf(a, abi::LSTM_BACKWARD_DC_NORMS);
  }
  NormCtx n;
  parse_norm(info, n, true);
  if (!check_norm(info, "lstmBackward", n, true)) return info.Env().Undefined();
  if (!check_ring(info, "lstmBackward", c, n, false, true)) return info.Env().Undefined();
  if (n.kind == abi::NORM_NONE) {
    lstm_backward(c, pool());
    return info.Env().Undefined();
  }
  n.nx = buf(a, abi::LSTM_BACKWARD_TAPE_NORM_X);
  n.nh = buf(a, abi::LSTM_BACKWARD_TAPE_NORM_H);
  n.nc = buf(a, abi::LSTM_BACKWARD_TAPE_NORM_C);
  n.rx = buf(a, abi::LSTM_BACKWARD_TAPE_RSTD_X);
  n.rh = buf(a, abi::LSTM_BACKWARD_TAPE_RSTD_H);
  n.rc = buf(a, abi::LSTM_BACKWARD_TAPE_RSTD_C);
  n.dgx = buf(a, abi::LSTM_BACKWARD_D_GAMMA_X);
  n.dgh = buf(a, abi::LSTM_BACKWARD_D_GAMMA_H);
  n.dgc = buf(a, abi::LSTM_BACKWARD_D_GAMMA_C);
  n.dbc = buf(a, abi::LSTM_BACKWARD_D_BETA_C);
  lstm_norm_backward(c, n, pool());
  return info.Env().Undefined();
}

Napi::Value GruForward(const Napi::CallbackInfo& info) {
  if (!check(info, "gruForward", abi::GRU_FORWARD_COUNT)) return info.Env().Undefined();
  SeqCtx c;
  parse(info, c, false);
  Napi::Array a = info[2].As<Napi::Array>();
  c.seq = buf(a, abi::GRU_FORWARD_SEQUENCE);
  c.hT = buf(a, abi::GRU_FORWARD_H);
  c.gates = buf(a, abi::GRU_FORWARD_TAPE_GATES);
  c.HS = buf(a, abi::GRU_FORWARD_TAPE_HS);
  c.UH = buf(a, abi::GRU_FORWARD_TAPE_UH);
  NormCtx n;
  parse_norm(info, n, false);
  if (!check_norm(info, "gruForward", n, false)) return info.Env().Undefined();
  if (!check_ring(info, "gruForward", c, n, true, false)) return info.Env().Undefined();
  if (n.kind == abi::NORM_NONE) {
    gru_forward(c, pool());
    return info.Env().Undefined();
  }
  n.nx = buf(a, abi::GRU_FORWARD_TAPE_NORM_X);
  n.nh = buf(a, abi::GRU_FORWARD_TAPE_NORM_H);
  n.rx = buf(a, abi::GRU_FORWARD_TAPE_RSTD_X);
  n.rh = buf(a, abi::GRU_FORWARD_TAPE_RSTD_H);
  n.bmx = buf(a, abi::GRU_FORWARD_BATCH_MEAN_X);
  n.bvx = buf(a, abi::GRU_FORWARD_BATCH_VARIANCE_X);
  n.bmh = buf(a, abi::GRU_FORWARD_BATCH_MEAN_H);
  n.bvh = buf(a, abi::GRU_FORWARD_BATCH_VARIANCE_H);
  gru_norm_forward(c, n, pool());
  return info.Env().Undefined();
}

Napi::Value GruBackward(const Napi::CallbackInfo& info) {
  if (!check(info, "gruBackward", abi::GRU_BACKWARD_COUNT)) return info.Env().Undefined();
  SeqCtx c;
  parse(info, c, false);
  Napi::Array a = info[2].As<Napi::Array>();
  c.gates = buf(a, abi::GRU_BACKWARD_TAPE_GATES);
  c.HS = buf(a, abi::GRU_BACKWARD_TAPE_HS);
  c.UH = buf(a, abi::GRU_BACKWARD_TAPE_UH);
  c.dSeq = buf(a, abi::GRU_BACKWARD_D_SEQUENCE);
  c.dhT = buf(a, abi::GRU_BACKWARD_DH);
  c.dx = buf(a, abi::GRU_BACKWARD_DX);
  c.dW = buf(a, abi::GRU_BACKWARD_D_KERNEL);
  c.dU = buf(a, abi::GRU_BACKWARD_D_RECURRENT_KERNEL);
  c.db = buf(a, abi::GRU_BACKWARD_D_BIAS);
  c.dh0 = buf(a, abi::GRU_BACKWARD_DH0);
  if (p_flag(info, abi::INTS_STATE_GRADIENT_NORMS)) c.dhNorms = buf(a, abi::GRU_BACKWARD_DH_NORMS);
  NormCtx n;
  parse_norm(info, n, false);
  if (!check_norm(info, "gruBackward", n, false)) return info.Env().Undefined();
  if (!check_ring(info, "gruBackward", c, n, false, false)) return info.Env().Undefined();
  if (n.kind == abi::NORM_NONE) {
    gru_backward(c, pool());
    return info.Env().Undefined();
  }
  n.nx = buf(a, abi::GRU_BACKWARD_TAPE_NORM_X);
  n.nh = buf(a, abi::GRU_BACKWARD_TAPE_NORM_H);
  n.rx = buf(a, abi::GRU_BACKWARD_TAPE_RSTD_X);
  n.rh = buf(a, abi::GRU_BACKWARD_TAPE_RSTD_H);
  n.dgx = buf(a, abi::GRU_BACKWARD_D_GAMMA_X);
  n.dgh = buf(a, abi::GRU_BACKWARD_D_GAMMA_H);
  gru_norm_backward(c, n, pool());
  return info.Env().Undefined();
}

}  // namespace

void register_sequence_calls(Napi::Env env, Napi::Object exports) {
  exports.Set("lstmForward", Napi::Function::New(env, LstmForward));
  exports.Set("lstmBackward", Napi::Function::New(env, LstmBackward));
  exports.Set("gruForward", Napi::Function::New(env, GruForward));
  exports.Set("gruBackward", Napi::Function::New(env, GruBackward));
}

}  // namespace regulab
