// AVX2 + FMA build of kernels.inc (8 floats per vector, 6×16 micro-tile).
#if defined(__x86_64__)
#pragma GCC target("avx2,fma,bmi2")
#define ISA_NS avx2
#define ISA_NAME "avx2"
#define VW 8
#define MR 6
#include "kernels.inc"
const regulab::IsaTable* regulab::isa_avx2() { return &regulab::avx2::table; }
#else
#include "common.h"
const regulab::IsaTable* regulab::isa_avx2() { return nullptr; }
#endif
