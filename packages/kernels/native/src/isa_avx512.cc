// AVX-512 build of kernels.inc (16 floats per vector, 8×32 micro-tile).
#if defined(__x86_64__)
#pragma GCC target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma,bmi2")
#define ISA_NS avx512
#define ISA_NAME "avx512"
#define VW 16
#define MR 12
#include "kernels.inc"
const regulab::IsaTable* regulab::isa_avx512() { return &regulab::avx512::table; }
#else
#include "common.h"
const regulab::IsaTable* regulab::isa_avx512() { return nullptr; }
#endif
