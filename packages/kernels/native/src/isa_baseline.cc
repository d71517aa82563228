// Baseline build of kernels.inc with the compiler's default target: SSE2 on x86-64, NEON on
// arm64, whatever 128-bit vectors (or scalar code) other CPUs offer: the portable path.
#define ISA_NS baseline
#define ISA_NAME "baseline"
#define VW 4
#define MR 6
#include "kernels.inc"
const regulab::IsaTable* regulab::isa_baseline() { return &regulab::baseline::table; }
