// What the N-API bindings share (addon.cc, addon_sequence.cc): the kernels' thread pool, the
// buffer and error helpers, and the registration of the sequence calls.
#pragma once
#include <napi.h>

#include <string>

#include "thread_pool.h"

namespace regulab {

// The process's kernel thread pool (setThreads sizes it; 1 thread until then).
Pool& pool();
// Float32Array slot i of a bufs array, or null for a null / undefined slot.
float* buf(const Napi::Array& a, uint32_t i);
// Throws a JS Error naming the bad argument (the entry points return undefined after it).
Napi::Value fail(const Napi::CallbackInfo& info, const std::string& message);
// Whether v is a typed array of that type.
bool typed(const Napi::Value& v, napi_typedarray_type type);
// Adds lstmForward, lstmBackward, gruForward, gruBackward (addon_sequence.cc) to exports.
void register_sequence_calls(Napi::Env env, Napi::Object exports);

}  // namespace regulab
