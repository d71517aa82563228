// Per-thread work buffers kept across calls (see scratch() in common.h).
#include <vector>

#include "common.h"

namespace regulab {

float* scratch(int slot, size_t n) {
  thread_local std::vector<float> store[26];
  std::vector<float>& v = store[slot];
  if (v.size() < n) v.resize(n);
  return v.data();
}

}  // namespace regulab
