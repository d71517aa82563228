// Chooses the best instruction set this CPU supports, once, and lets tests force a lower one.
#include <cstdlib>
#include <cstring>

#include "common.h"

namespace regulab {

static const IsaTable* best() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512bw"))
    return isa_avx512();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return isa_avx2();
#endif
  return isa_baseline();
}

static const IsaTable* current = nullptr;

static int rank(const IsaTable* t) {
  if (t == isa_avx512()) return 3;
  if (t == isa_avx2()) return 2;
  return 1;
}

bool set_isa(const char* name) {
  const IsaTable* b = best();
  const IsaTable* want = nullptr;
  if (!std::strcmp(name, "best")) want = b;
  else if (!std::strcmp(name, "avx512")) want = isa_avx512();
  else if (!std::strcmp(name, "avx2")) want = isa_avx2();
  else if (!std::strcmp(name, "baseline")) want = isa_baseline();
  if (!want || rank(want) > rank(b)) return false;  // unknown, not built, or unsupported here
  current = want;
  return true;
}

const IsaTable& isa() {
  if (!current) {
    current = best();
    const char* forced = std::getenv("REGULAB_ISA");
    if (forced && *forced) set_isa(forced);
  }
  return *current;
}

}  // namespace regulab
