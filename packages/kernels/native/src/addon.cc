// N-API bindings of the fused kernels (node-addon-api). JavaScript allocates every buffer; the
// kernels only read and write them, so no memory crosses the boundary by ownership.
//   lstmForward(ints, floats, bufs), lstmBackward(...), gruForward(...), gruBackward(...)
//   ints  Int32Array, floats Float64Array, bufs Array of Float32Array | null: every slot is named
//   in src/fused/abi.ts, whose generated copy abi.h gives the indices used here
//   sgemm(a, b, c, m, k, n, transA, transB), binary(...), unary(op, x, out),
//   conv2dForward(ints, x, filter, y), conv2dBackpropInput(ints, dy, filter, dx),
//   conv2dBackpropFilter(ints, x, dy, dfilter): ints Int32Array in the slots abi::CONV_*
//   pool2d(op, ints, a, b, out) (pool.h), depthwise2d(op, ints, a, b, out) (depthwise.h): op abi::POOL_* or
//   abi::DEPTHWISE_*, ints as for conv2d, b null where the op reads none
//   optimizerUpdate(kind, w, g, s0, s1, params), setThreads(n), threads(), isa(), setIsa(name) → bool,
//   abi() → abi::LAYOUT_HASH (the loader refuses an addon built against another layout)
#include <napi.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "abi.h"
#include "common.h"
#include "conv.h"
#include "depthwise.h"
#include "elementwise.h"
#include "pool.h"
#include "norm_seq.h"
#include "thread_pool.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

using namespace regulab;

// tfjs's CPU backend allocates every output as a fresh typed array (megabytes per tensor in a
// convolutional step), and V8 takes them from malloc. glibc serves blocks above its mmap threshold
// (dynamic, from 128 KB) with fresh pages and returns freed heap top beyond its trim threshold to
// the system, so such arrays fault their pages in on first touch, again every step: measured, a
// cnn-step spent ~40% of its CPU time in those faults (148 → 92 ms per step with the thresholds
// below). At load, unless the environment already tunes malloc (GLIBC_TUNABLES, MALLOC_*_) or
// sets REGULAB_MALLOC_TUNING=0: blocks below 64 MB come from the heap and up to 512 MB of freed
// heap is kept for reuse (the process keeps its peak heap instead of returning it).
static void tune_malloc() {
#if defined(__GLIBC__)
  const char* off = std::getenv("REGULAB_MALLOC_TUNING");
  if ((off && !std::strcmp(off, "0")) || std::getenv("GLIBC_TUNABLES") || std::getenv("MALLOC_MMAP_THRESHOLD_") ||
      std::getenv("MALLOC_TRIM_THRESHOLD_"))
    return;
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
#endif
}

static std::unique_ptr<Pool> g_pool;
static Pool& pool() {
  if (!g_pool) g_pool.reset(new Pool(1));
  return *g_pool;
}

static float* buf(const Napi::Array& a, uint32_t i) {
  Napi::Value v = a.Get(i);
  if (v.IsNull() || v.IsUndefined()) return nullptr;
  return v.As<Napi::Float32Array>().Data();
}

// One state's zoneout; the seeded draw's key and threshold come computed (zoneoutDraw in TypeScript).
static Zone zone(int mode, double rate, int32_t key, int32_t threshold, const float* mask) {
  Zone z;
  z.mode = mode;
  z.rate = (float)rate;
  z.mask = mask;
  z.key = (uint32_t)key;
  z.threshold = (uint32_t)threshold;
  return z;
}

// One seeded dropout mask; key, threshold and scale come computed (dropoutDraw in TypeScript).
static Drop drop(int32_t seeded, int32_t key, int32_t threshold, double scale) {
  Drop d;
  d.on = seeded != 0;
  d.key = (uint32_t)key;
  d.threshold = (uint32_t)threshold;
  d.scale = (float)scale;
  return d;
}

// Throws a JS Error naming the bad argument (the entry points return undefined after it).
static Napi::Value fail(const Napi::CallbackInfo& info, const std::string& message) {
  Napi::Error::New(info.Env(), message).ThrowAsJavaScriptException();
  return info.Env().Undefined();
}

static bool typed(const Napi::Value& v, napi_typedarray_type type) {
  return v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == type;
}

// What is wrong with the arguments of a sequence call whose bufs must hold `nbufs` ("" if nothing).
static std::string misfit(const Napi::CallbackInfo& info, uint32_t nbufs) {
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
static bool check(const Napi::CallbackInfo& info, const char* name, uint32_t nbufs) {
  std::string why = misfit(info, nbufs);
  if (why.empty()) return true;
  fail(info, std::string(name) + ": " + why + " (the addon and src/fused/abi.ts disagree: rebuild it with " +
                 "npm run build:native -w packages/kernels)");
  return false;
}

// Reads ints, floats and the cell's input buffers (abi::LSTM_* or abi::GRU_*) into c.
static void parse(const Napi::CallbackInfo& info, SeqCtx& c, bool lstm) {
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
static bool p_flag(const Napi::CallbackInfo& info, int slot) { return info[0].As<Napi::Int32Array>().Data()[slot] != 0; }
// Reads the normalisation's ints, ε and input buffers (abi::LSTM_GAMMA_X.. or abi::GRU_GAMMA_X..).
static void parse_norm(const Napi::CallbackInfo& info, NormCtx& n, bool lstm) {
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
static std::string norm_misfit(const NormCtx& n, bool lstm) {
  if (n.kind == abi::NORM_NONE) return "";
  if (n.kind < 0 || n.kind >= abi::NORM_COUNT) return "unknown normKind " + std::to_string(n.kind);
  if (!n.gx || !n.gh || (lstm && (!n.gc || !n.bc))) return "a normalised call needs every gamma (and betaC)";
  if (n.kind == abi::NORM_BATCH && !n.training &&
      (n.maxSteps < 1 || !n.mmx || !n.mvx || !n.mmh || !n.mvh || (lstm && (!n.mmc || !n.mvc))))
    return "batch-norm inference needs the moving statistics and normMaxSteps >= 1";
  return "";
}

static bool check_norm(const Napi::CallbackInfo& info, const char* name, const NormCtx& n, bool lstm) {
  std::string why = norm_misfit(n, lstm);
  if (why.empty()) return true;
  fail(info, std::string(name) + ": " + why);
  return false;
}

// A ring tape holds no history: only forward calls take one, without normalisation or (the LSTM)
// with batch norm in inference that recomputes x̂_x (its other normalised quantities are per step
// in the loop; layer norm and a kept x̂_x project every step at once). False after throwing.
static bool check_ring(const Napi::CallbackInfo& info, const char* name, const SeqCtx& c, const NormCtx& n,
                       bool forward, bool lstm) {
  const bool bn_inference = lstm && n.kind == abi::NORM_BATCH && !n.training &&
                            c.D <= abi::NORM_X_RECOMPUTE_MAX_INPUTS;
  if (!c.ring || (forward && (n.kind == abi::NORM_NONE || bn_inference))) return true;
  fail(info, std::string(name) +
                 ": ringTape 1 is for forward calls without normalisation or, in the LSTM, with batch-norm " +
                 "inference on at most " + std::to_string(abi::NORM_X_RECOMPUTE_MAX_INPUTS) + " inputs (got " +
                 (forward ? "normKind " + std::to_string(n.kind) : std::string("a backward call")) + ")");
  return false;
}

static Napi::Value LstmForward(const Napi::CallbackInfo& info) {
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

static Napi::Value LstmBackward(const Napi::CallbackInfo& info) {
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

static Napi::Value GruForward(const Napi::CallbackInfo& info) {
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

static Napi::Value GruBackward(const Napi::CallbackInfo& info) {
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

// C[m×n] = op(A)·op(B); A is [m×k] ([k×m] if transA), B is [k×n] ([n×k] if transB).
static Napi::Value Sgemm(const Napi::CallbackInfo& info) {
  const float* A = info[0].As<Napi::Float32Array>().Data();
  const float* B = info[1].As<Napi::Float32Array>().Data();
  float* C = info[2].As<Napi::Float32Array>().Data();
  int m = info[3].As<Napi::Number>().Int32Value(), k = info[4].As<Napi::Number>().Int32Value();
  int n = info[5].As<Napi::Number>().Int32Value();
  bool ta = info[6].As<Napi::Boolean>().Value(), tb = info[7].As<Napi::Boolean>().Value();
  if (ta) {
    float* at = scratch(10, (size_t)m * k);
    transpose(k, m, A, m, at, pool());
    A = at;
  }
  gemm(m, n, k, A, k, B, tb ? k : n, tb, C, n, false, pool());
  return info.Env().Undefined();
}

// Reads a geometry (Int32Array in the slots abi::CONV_*) into g, checking its length and values;
// false after throwing an error that names the problem.
static bool conv_geom(const Napi::CallbackInfo& info, const std::string& name, const Napi::Value& value,
                      ConvGeom& g) {
  Napi::Int32Array ints = value.As<Napi::Int32Array>();
  if (ints.ElementLength() != (size_t)abi::CONV_COUNT) {
    fail(info, name + ": got " + std::to_string(ints.ElementLength()) + " ints, expects " +
                   std::to_string(abi::CONV_COUNT) + " (rebuild the addon: npm run build:native -w packages/kernels)");
    return false;
  }
  const int32_t* v = ints.Data();
  g = ConvGeom{v[abi::CONV_BATCH],          v[abi::CONV_IN_HEIGHT],      v[abi::CONV_IN_WIDTH],
               v[abi::CONV_IN_CHANNELS],    v[abi::CONV_OUT_HEIGHT],     v[abi::CONV_OUT_WIDTH],
               v[abi::CONV_OUT_CHANNELS],   v[abi::CONV_FILTER_HEIGHT],  v[abi::CONV_FILTER_WIDTH],
               v[abi::CONV_STRIDE_HEIGHT],  v[abi::CONV_STRIDE_WIDTH],   v[abi::CONV_DILATION_HEIGHT],
               v[abi::CONV_DILATION_WIDTH], v[abi::CONV_PAD_TOP],        v[abi::CONV_PAD_LEFT]};
  for (int i = 0; i < abi::CONV_COUNT; i++)
    if (v[i] < 0 || ((i == abi::CONV_STRIDE_HEIGHT || i == abi::CONV_STRIDE_WIDTH || i == abi::CONV_DILATION_HEIGHT ||
                      i == abi::CONV_DILATION_WIDTH) &&
                     v[i] < 1)) {
      fail(info, name + ": geometry slot " + std::to_string(i) + " is " + std::to_string(v[i]));
      return false;
    }
  return true;
}

// Checks that buffer `i` (a Float32Array) holds `want` floats; false after throwing.
static bool sized(const Napi::CallbackInfo& info, const std::string& name, const Napi::Value& value, int i,
                  size_t want, float*& p) {
  Napi::Float32Array a = value.As<Napi::Float32Array>();
  if (a.ElementLength() != want) {
    fail(info, name + ": buffer " + std::to_string(i) + " holds " + std::to_string(a.ElementLength()) +
                   " floats, the geometry needs " + std::to_string(want));
    return false;
  }
  p = a.Data();
  return true;
}

// Reads a conv2d call's (ints, three Float32Arrays) into g and the buffers, checking every size;
// false after throwing an error that names the mismatch. Slot 2 is the output.
static bool conv_args(const Napi::CallbackInfo& info, const char* name, ConvGeom& g, size_t (ConvGeom::*in0)() const,
                      size_t (ConvGeom::*in1)() const, size_t (ConvGeom::*out)() const, float* p[3]) {
  if (info.Length() < 4 || !typed(info[0], napi_int32_array) || !typed(info[1], napi_float32_array) ||
      !typed(info[2], napi_float32_array) || !typed(info[3], napi_float32_array)) {
    fail(info, std::string(name) + ": expects (Int32Array ints, Float32Array, Float32Array, Float32Array out)");
    return false;
  }
  if (!conv_geom(info, name, info[0], g)) return false;
  size_t (ConvGeom::*want[3])() const = {in0, in1, out};
  for (int i = 0; i < 3; i++)
    if (!sized(info, name, info[i + 1], i, (g.*want[i])(), p[i])) return false;
  return true;
}

// Reads a pool2d or depthwise2d call (op, ints, a, b or null, out) whose buffers must hold
// sizes[op][0..2] floats (0: b is not read and may be null); false after throwing.
static bool op_args(const Napi::CallbackInfo& info, const char* name, int ops, ConvGeom& g, int& op,
                    size_t (*sizes)(const ConvGeom&, int, int), float* p[3]) {
  if (info.Length() < 5 || !info[0].IsNumber() || !typed(info[1], napi_int32_array) ||
      !typed(info[2], napi_float32_array) || !typed(info[4], napi_float32_array)) {
    fail(info, std::string(name) + ": expects (op, Int32Array ints, Float32Array, Float32Array | null, Float32Array out)");
    return false;
  }
  op = info[0].As<Napi::Number>().Int32Value();
  if (op < 0 || op >= ops) {
    fail(info, std::string(name) + ": unknown op " + std::to_string(op));
    return false;
  }
  if (!conv_geom(info, name, info[1], g)) return false;
  p[1] = nullptr;
  for (int i = 0; i < 3; i++) {
    const size_t want = sizes(g, op, i);
    if (i == 1 && want == 0) continue;
    if (i == 1 && !typed(info[3], napi_float32_array)) {
      fail(info, std::string(name) + ": buffer 1 must be a Float32Array for op " + std::to_string(op));
      return false;
    }
    if (!sized(info, name, info[i + 2], i, want, p[i])) return false;
  }
  return true;
}

// pool2d(op, ints, a, b, out): see pool.h (OC must equal C).
static size_t pool_sizes(const ConvGeom& g, int op, int i) {
  const size_t x = g.x_size(), y = (size_t)g.N * g.OH * g.OW * g.C;
  switch (op) {
    case abi::POOL_MAX_POOL:
    case abi::POOL_AVG_POOL:
      return i == 0 ? x : i == 1 ? 0 : y;
    case abi::POOL_MAX_POOL_GRAD:
      return i == 0 ? x : i == 1 ? y : x;
    default:
      return i == 0 ? y : i == 1 ? 0 : x;
  }
}

static Napi::Value Pool2d(const Napi::CallbackInfo& info) {
  ConvGeom g;
  int op;
  float* p[3];
  if (!op_args(info, "pool2d", abi::POOL_COUNT, g, op, pool_sizes, p)) return info.Env().Undefined();
  if (g.OC != g.C) return fail(info, "pool2d: outChannels " + std::to_string(g.OC) + " != inChannels " + std::to_string(g.C));
  pool2d(op, g, p[0], p[1], p[2], pool());
  return info.Env().Undefined();
}

// depthwise2d(op, ints, a, b, out): see depthwise.h (OC must be a multiple of C).
static size_t depthwise_sizes(const ConvGeom& g, int op, int i) {
  const size_t x = g.x_size(), y = g.y_size(), f = (size_t)g.KH * g.KW * g.OC;
  switch (op) {
    case abi::DEPTHWISE_FORWARD:
      return i == 0 ? x : i == 1 ? f : y;
    case abi::DEPTHWISE_BACKPROP_INPUT:
      return i == 0 ? y : i == 1 ? f : x;
    default:
      return i == 0 ? x : i == 1 ? y : f;
  }
}

static Napi::Value Depthwise2d(const Napi::CallbackInfo& info) {
  ConvGeom g;
  int op;
  float* p[3];
  if (!op_args(info, "depthwise2d", abi::DEPTHWISE_COUNT, g, op, depthwise_sizes, p)) return info.Env().Undefined();
  if (g.C == 0 ? g.OC != 0 : g.OC % g.C != 0)
    return fail(info, "depthwise2d: outChannels " + std::to_string(g.OC) + " is not a multiple of inChannels " +
                          std::to_string(g.C));
  depthwise2d(op, g, p[0], p[1], p[2], pool());
  return info.Env().Undefined();
}

static Napi::Value Conv2dForward(const Napi::CallbackInfo& info) {
  ConvGeom g;
  float* p[3];
  if (conv_args(info, "conv2dForward", g, &ConvGeom::x_size, &ConvGeom::filter_size, &ConvGeom::y_size, p))
    conv2d_forward(g, p[0], p[1], p[2], pool());
  return info.Env().Undefined();
}

static Napi::Value Conv2dBackpropInput(const Napi::CallbackInfo& info) {
  ConvGeom g;
  float* p[3];
  if (conv_args(info, "conv2dBackpropInput", g, &ConvGeom::y_size, &ConvGeom::filter_size, &ConvGeom::x_size, p))
    conv2d_backprop_input(g, p[0], p[1], p[2], pool());
  return info.Env().Undefined();
}

static Napi::Value Conv2dBackpropFilter(const Napi::CallbackInfo& info) {
  ConvGeom g;
  float* p[3];
  if (conv_args(info, "conv2dBackpropFilter", g, &ConvGeom::x_size, &ConvGeom::y_size, &ConvGeom::filter_size, p))
    conv2d_backprop_filter(g, p[0], p[1], p[2], pool());
  return info.Env().Undefined();
}

// binary(op, mode, a, b, out, m): see elementwise.h.
static Napi::Value Binary(const Napi::CallbackInfo& info) {
  int op = info[0].As<Napi::Number>().Int32Value(), mode = info[1].As<Napi::Number>().Int32Value();
  if (op < 0 || op >= abi::BINARY_OP_COUNT || mode < 0 || mode >= abi::BINARY_MODE_COUNT)
    return fail(info, "binary: unknown op " + std::to_string(op) + " or mode " + std::to_string(mode));
  const float* a = info[2].As<Napi::Float32Array>().Data();
  const float* b = info[3].As<Napi::Float32Array>().Data();
  Napi::Float32Array out = info[4].As<Napi::Float32Array>();
  long m = info[5].As<Napi::Number>().Int64Value();
  binary(op, mode, a, b, out.Data(), (long)out.ElementLength(), m < 1 ? 1 : m);
  return info.Env().Undefined();
}

// unary(op, x, out): out = f(x) (op codes: abi::UNARY_*).
static Napi::Value Unary(const Napi::CallbackInfo& info) {
  int op = info[0].As<Napi::Number>().Int32Value();
  if (op < 0 || op >= abi::UNARY_COUNT) return fail(info, "unary: unknown op code " + std::to_string(op));
  Napi::Float32Array x = info[1].As<Napi::Float32Array>();
  Napi::Float32Array out = info[2].As<Napi::Float32Array>();
  long n = (long)std::min(x.ElementLength(), out.ElementLength());
  isa().unary(op, x.Data(), out.Data(), n);
  return info.Env().Undefined();
}

// optimizerUpdate(kind, w, g, s0 | null, s1 | null, params): one variable's step, in place.
static Napi::Value OptimizerUpdate(const Napi::CallbackInfo& info) {
  int kind = info[0].As<Napi::Number>().Int32Value();
  if (kind < 0 || kind >= abi::OPTIMIZER_COUNT)
    return fail(info, "optimizerUpdate: unknown kind " + std::to_string(kind));
  Napi::Float32Array w = info[1].As<Napi::Float32Array>();
  const float* g = info[2].As<Napi::Float32Array>().Data();
  auto slot = [&](int i) -> float* {
    Napi::Value v = info[i];
    return v.IsNull() || v.IsUndefined() ? nullptr : v.As<Napi::Float32Array>().Data();
  };
  const double* p = info[5].As<Napi::Float64Array>().Data();
  isa().optimizer_update(kind, w.Data(), g, slot(3), slot(4), (long)w.ElementLength(), p);
  return info.Env().Undefined();
}

static Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  int n = info[0].As<Napi::Number>().Int32Value();
  if (n < 1) n = 1;
  if (n > 64) n = 64;
  if (!g_pool || g_pool->size() != n) {
    g_pool.reset();
    g_pool.reset(new Pool(n));
  }
  return info.Env().Undefined();
}

static Napi::Value Threads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), pool().size()); }
static Napi::Value Isa(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), isa().name); }
static Napi::Value Abi(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), abi::LAYOUT_HASH); }
static Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  std::string name = info[0].As<Napi::String>().Utf8Value();
  return Napi::Boolean::New(info.Env(), set_isa(name.c_str()));
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  tune_malloc();
  exports.Set("lstmForward", Napi::Function::New(env, LstmForward));
  exports.Set("lstmBackward", Napi::Function::New(env, LstmBackward));
  exports.Set("gruForward", Napi::Function::New(env, GruForward));
  exports.Set("gruBackward", Napi::Function::New(env, GruBackward));
  exports.Set("sgemm", Napi::Function::New(env, Sgemm));
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("conv2dForward", Napi::Function::New(env, Conv2dForward));
  exports.Set("conv2dBackpropInput", Napi::Function::New(env, Conv2dBackpropInput));
  exports.Set("conv2dBackpropFilter", Napi::Function::New(env, Conv2dBackpropFilter));
  exports.Set("pool2d", Napi::Function::New(env, Pool2d));
  exports.Set("depthwise2d", Napi::Function::New(env, Depthwise2d));
  exports.Set("unary", Napi::Function::New(env, Unary));
  exports.Set("optimizerUpdate", Napi::Function::New(env, OptimizerUpdate));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("threads", Napi::Function::New(env, Threads));
  exports.Set("isa", Napi::Function::New(env, Isa));
  exports.Set("setIsa", Napi::Function::New(env, SetIsa));
  exports.Set("abi", Napi::Function::New(env, Abi));
  return exports;
}

NODE_API_MODULE(regulab_kernels, Init)
