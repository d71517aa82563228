// N-API bindings of the fused kernels (node-addon-api). JavaScript allocates every buffer; the
// kernels only read and write them, so no memory crosses the boundary by ownership.
//   lstmForward, lstmBackward, gruForward, gruBackward: addon_sequence.cc
//   sgemm(a, b, c, m, k, n, transA, transB), binary(...), columnSums(x, rows, width, out),
//   uniformMask(state, keep, value, out), unary(op, x, out),
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
#include "addon_util.h"
#include "common.h"
#include "conv.h"
#include "depthwise.h"
#include "elementwise.h"
#include "uniform_mask.h"
#include "pool.h"
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
Pool& regulab::pool() {
  if (!g_pool) g_pool.reset(new Pool(1));
  return *g_pool;
}

float* regulab::buf(const Napi::Array& a, uint32_t i) {
  Napi::Value v = a.Get(i);
  if (v.IsNull() || v.IsUndefined()) return nullptr;
  return v.As<Napi::Float32Array>().Data();
}

Napi::Value regulab::fail(const Napi::CallbackInfo& info, const std::string& message) {
  Napi::Error::New(info.Env(), message).ThrowAsJavaScriptException();
  return info.Env().Undefined();
}

bool regulab::typed(const Napi::Value& v, napi_typedarray_type type) {
  return v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == type;
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
  if (op == abi::BINARY_OP_RELU_GRAD && mode != abi::BINARY_MODE_SAME_SHAPE)
    return fail(info, "binary: reluGrad takes operands of one shape (mode " + std::to_string(abi::BINARY_MODE_SAME_SHAPE) +
                          "), got mode " + std::to_string(mode));
  const float* a = info[2].As<Napi::Float32Array>().Data();
  const float* b = info[3].As<Napi::Float32Array>().Data();
  Napi::Float32Array out = info[4].As<Napi::Float32Array>();
  long m = info[5].As<Napi::Number>().Int64Value();
  binary(op, mode, a, b, out.Data(), (long)out.ElementLength(), m < 1 ? 1 : m, pool());
  return info.Env().Undefined();
}

// columnSums(x, rows, width, out): out[j] = Σ_r x[r·width + j] (see elementwise.h).
static Napi::Value ColumnSums(const Napi::CallbackInfo& info) {
  Napi::Float32Array x = info[0].As<Napi::Float32Array>(), out = info[3].As<Napi::Float32Array>();
  const long rows = info[1].As<Napi::Number>().Int64Value(), width = info[2].As<Napi::Number>().Int64Value();
  if (rows < 0 || width < 0 || (size_t)(rows * width) > x.ElementLength() || (size_t)width > out.ElementLength())
    return fail(info, "columnSums: " + std::to_string(rows) + " rows of " + std::to_string(width) + " do not fit x (" +
                          std::to_string(x.ElementLength()) + ") and out (" + std::to_string(out.ElementLength()) + ")");
  column_sums(x.Data(), rows, width, out.Data(), pool());
  return info.Env().Undefined();
}

// uniformMask(state, keep, value, out): see uniform_mask.h.
static Napi::Value UniformMask(const Napi::CallbackInfo& info) {
  Napi::Float64Array state = info[0].As<Napi::Float64Array>();
  Napi::Float32Array out = info[3].As<Napi::Float32Array>();
  if (state.ElementLength() != 4)
    return fail(info, "uniformMask: state must hold 4 values (s0, s1, s2, c), got " + std::to_string(state.ElementLength()));
  uniform_mask(state.Data(), info[1].As<Napi::Number>().FloatValue(), info[2].As<Napi::Number>().FloatValue(),
               out.Data(), (long)out.ElementLength());
  return info.Env().Undefined();
}

// unary(op, x, out): out = f(x) (op codes: abi::UNARY_*), large calls split over the pool.
static Napi::Value Unary(const Napi::CallbackInfo& info) {
  int op = info[0].As<Napi::Number>().Int32Value();
  if (op < 0 || op >= abi::UNARY_COUNT) return fail(info, "unary: unknown op code " + std::to_string(op));
  Napi::Float32Array x = info[1].As<Napi::Float32Array>();
  Napi::Float32Array out = info[2].As<Napi::Float32Array>();
  const long n = (long)std::min(x.ElementLength(), out.ElementLength());
  const float* xs = x.Data();
  float* ys = out.Data();
  // element-wise, so splitting the elements over the pool leaves the bits alone
  if (pool().size() == 1 || n < (1 << 16)) {
    isa().unary(op, xs, ys, n);
  } else {
    pool().run([&](int tid, int nt) {
      const long blocks = (n + 63) / 64, b0 = blocks * tid / nt, b1 = blocks * (tid + 1) / nt;
      const long i0 = std::min(n, b0 * 64), i1 = std::min(n, b1 * 64);
      if (i0 < i1) isa().unary(op, xs + i0, ys + i0, i1 - i0);
    });
  }
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
  float *ws = w.Data(), *s0 = slot(3), *s1 = slot(4);
  const long n = (long)w.ElementLength();
  // each weight alone: blocks of 64 (vector groups and alignment unchanged) over the pool
  if (pool().size() == 1 || n < (1 << 16)) {
    isa().optimizer_update(kind, ws, g, s0, s1, n, p);
  } else {
    pool().run([&](int tid, int nt) {
      const long blocks = (n + 63) / 64, b0 = blocks * tid / nt, b1 = blocks * (tid + 1) / nt;
      const long i0 = std::min(n, b0 * 64), i1 = std::min(n, b1 * 64);
      if (i0 < i1)
        isa().optimizer_update(kind, ws + i0, g + i0, s0 ? s0 + i0 : nullptr, s1 ? s1 + i0 : nullptr, i1 - i0, p);
    });
  }
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
  register_sequence_calls(env, exports);
  exports.Set("sgemm", Napi::Function::New(env, Sgemm));
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("columnSums", Napi::Function::New(env, ColumnSums));
  exports.Set("uniformMask", Napi::Function::New(env, UniformMask));
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
