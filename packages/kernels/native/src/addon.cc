// N-API bindings of the fused kernels (node-addon-api). JavaScript allocates every buffer; the
// kernels only read and write them, so no memory crosses the boundary by ownership.
//   lstmForward(ints, floats, bufs), lstmBackward(...), gruForward(...), gruBackward(...)
//   ints  Int32Array  [B, T, D, H, goBackwards, act, ract, candPerStep, zcMode, zhMode, zcSeed, zhSeed, resetAfter]
//   floats Float64Array [zcRate, zhRate]
//   bufs  Array of Float32Array | null in the order of src/native/binding.ts
//   sgemm(a, b, c, m, k, n, transA, transB), binary(...), unary(op, x, out),
//   optimizerUpdate(kind, w, g, s0, s1, params), setThreads(n), threads(), isa(), setIsa(name) → bool
#include <napi.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "common.h"
#include "elementwise.h"
#include "thread_pool.h"

using namespace regulab;

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

static Zone zone(int mode, float rate, uint32_t seed, const float* mask) {
  Zone z;
  z.mode = mode;
  z.rate = rate;
  z.mask = mask;
  z.key = fmix32(seed);
  double thr = std::floor((double)rate * 16777216.0);
  z.threshold = (uint32_t)(thr < 0 ? 0 : thr > 16777216.0 ? 16777216.0 : thr);
  return z;
}

// Parses ints/floats and the input buffers shared by every op; returns the index of the next buffer.
static uint32_t parse(const Napi::CallbackInfo& info, SeqCtx& c, bool lstm) {
  const int32_t* p = info[0].As<Napi::Int32Array>().Data();
  const double* f = info[1].As<Napi::Float64Array>().Data();
  Napi::Array a = info[2].As<Napi::Array>();
  c.B = p[0];
  c.T = p[1];
  c.D = p[2];
  c.H = p[3];
  c.goBackwards = p[4] != 0;
  c.act = p[5];
  c.ract = p[6];
  c.candPerStep = p[7] != 0;
  c.resetAfter = p[12] != 0;
  c.G = lstm ? 4 : 3;
  uint32_t i = 0;
  c.x = buf(a, i++);
  c.W = buf(a, i++);
  c.U = buf(a, i++);
  c.bias = buf(a, i++);
  c.h0 = buf(a, i++);
  if (lstm) c.c0 = buf(a, i++);
  c.recMask = buf(a, i++);
  c.candMask = buf(a, i++);
  const float* zcMask = lstm ? buf(a, i++) : nullptr;
  const float* zhMask = buf(a, i++);
  c.stepMask = buf(a, i++);
  c.zc = zone(lstm ? p[8] : 0, (float)f[0], (uint32_t)p[10], zcMask);
  c.zh = zone(p[9], (float)f[1], (uint32_t)p[11], zhMask);
  return i;
}

static Napi::Value LstmForward(const Napi::CallbackInfo& info) {
  SeqCtx c;
  uint32_t i = parse(info, c, true);
  Napi::Array a = info[2].As<Napi::Array>();
  c.seq = buf(a, i++);
  c.hT = buf(a, i++);
  c.cT = buf(a, i++);
  c.gates = buf(a, i++);
  c.HS = buf(a, i++);
  c.CS = buf(a, i++);
  c.PC = buf(a, i++);
  lstm_forward(c, pool());
  return info.Env().Undefined();
}

static Napi::Value LstmBackward(const Napi::CallbackInfo& info) {
  SeqCtx c;
  uint32_t i = parse(info, c, true);
  Napi::Array a = info[2].As<Napi::Array>();
  c.gates = buf(a, i++);
  c.HS = buf(a, i++);
  c.CS = buf(a, i++);
  c.PC = buf(a, i++);
  c.dSeq = buf(a, i++);
  c.dhT = buf(a, i++);
  c.dcT = buf(a, i++);
  c.dx = buf(a, i++);
  c.dW = buf(a, i++);
  c.dU = buf(a, i++);
  c.db = buf(a, i++);
  c.dh0 = buf(a, i++);
  c.dc0 = buf(a, i++);
  lstm_backward(c, pool());
  return info.Env().Undefined();
}

static Napi::Value GruForward(const Napi::CallbackInfo& info) {
  SeqCtx c;
  uint32_t i = parse(info, c, false);
  Napi::Array a = info[2].As<Napi::Array>();
  c.seq = buf(a, i++);
  c.hT = buf(a, i++);
  c.gates = buf(a, i++);
  c.HS = buf(a, i++);
  c.UH = buf(a, i++);
  gru_forward(c, pool());
  return info.Env().Undefined();
}

static Napi::Value GruBackward(const Napi::CallbackInfo& info) {
  SeqCtx c;
  uint32_t i = parse(info, c, false);
  Napi::Array a = info[2].As<Napi::Array>();
  c.gates = buf(a, i++);
  c.HS = buf(a, i++);
  c.UH = buf(a, i++);
  c.dSeq = buf(a, i++);
  c.dhT = buf(a, i++);
  c.dx = buf(a, i++);
  c.dW = buf(a, i++);
  c.dU = buf(a, i++);
  c.db = buf(a, i++);
  c.dh0 = buf(a, i++);
  gru_backward(c, pool());
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

// Throws a JS Error naming the bad argument (the entry points return undefined after it).
static Napi::Value fail(const Napi::CallbackInfo& info, const std::string& message) {
  Napi::Error::New(info.Env(), message).ThrowAsJavaScriptException();
  return info.Env().Undefined();
}

// binary(op, mode, a, b, out, m): see elementwise.h.
static Napi::Value Binary(const Napi::CallbackInfo& info) {
  int op = info[0].As<Napi::Number>().Int32Value(), mode = info[1].As<Napi::Number>().Int32Value();
  if (op < 0 || op > 3 || mode < 0 || mode > 6)
    return fail(info, "binary: unknown op " + std::to_string(op) + " or mode " + std::to_string(mode));
  const float* a = info[2].As<Napi::Float32Array>().Data();
  const float* b = info[3].As<Napi::Float32Array>().Data();
  Napi::Float32Array out = info[4].As<Napi::Float32Array>();
  long m = info[5].As<Napi::Number>().Int64Value();
  binary(op, mode, a, b, out.Data(), (long)out.ElementLength(), m < 1 ? 1 : m);
  return info.Env().Undefined();
}

// unary(op, x, out): out = f(x) (op codes: UNARY_CODE of src/fused/impl.ts).
static Napi::Value Unary(const Napi::CallbackInfo& info) {
  int op = info[0].As<Napi::Number>().Int32Value();
  if (op < 0 || op > 10) return fail(info, "unary: unknown op code " + std::to_string(op));
  Napi::Float32Array x = info[1].As<Napi::Float32Array>();
  Napi::Float32Array out = info[2].As<Napi::Float32Array>();
  long n = (long)std::min(x.ElementLength(), out.ElementLength());
  isa().unary(op, x.Data(), out.Data(), n);
  return info.Env().Undefined();
}

// optimizerUpdate(kind, w, g, s0 | null, s1 | null, params): one variable's step, in place.
static Napi::Value OptimizerUpdate(const Napi::CallbackInfo& info) {
  int kind = info[0].As<Napi::Number>().Int32Value();
  if (kind < 0 || kind > 2) return fail(info, "optimizerUpdate: unknown kind " + std::to_string(kind));
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
static Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  std::string name = info[0].As<Napi::String>().Utf8Value();
  return Napi::Boolean::New(info.Env(), set_isa(name.c_str()));
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("lstmForward", Napi::Function::New(env, LstmForward));
  exports.Set("lstmBackward", Napi::Function::New(env, LstmBackward));
  exports.Set("gruForward", Napi::Function::New(env, GruForward));
  exports.Set("gruBackward", Napi::Function::New(env, GruBackward));
  exports.Set("sgemm", Napi::Function::New(env, Sgemm));
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("unary", Napi::Function::New(env, Unary));
  exports.Set("optimizerUpdate", Napi::Function::New(env, OptimizerUpdate));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("threads", Napi::Function::New(env, Threads));
  exports.Set("isa", Napi::Function::New(env, Isa));
  exports.Set("setIsa", Napi::Function::New(env, SetIsa));
  return exports;
}

NODE_API_MODULE(regulab_kernels, Init)
