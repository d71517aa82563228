/**
 * Dense C = op(A)·op(B) on the WebAssembly GEMM (the optional `sgemm` of FusedImpl, used to speed
 * up tfjs's CPU MatMul): op(B) is packed into 8-column panels once, A is read through strides (a
 * transposed A costs nothing), and the rows of C are split between the threads. C is written into
 * `out` when it has m·n elements, else into a new array.
 * Shapes: op(A) [m, k], op(B) [k, n], C [m, n]; all row-major Float32Arrays.
 */
import { pad8 } from './context.js';
import { getRows, getRowsInto } from './layout.js';
import type { WasmRuntime } from './runtime.js';
import { rowSplit } from './checks.js';

export function sgemm(
  rt: WasmRuntime,
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  transA: boolean,
  transB: boolean,
  out?: Float32Array,
): Float32Array {
  if (!(a instanceof Float32Array) || !(b instanceof Float32Array))
    throw new Error('sgemm: A and B must be Float32Arrays');
  if (a.length !== m * k || b.length !== k * n) {
    throw new Error(`sgemm: A must have ${m}·${k} and B ${k}·${n} elements, got ${a.length} and ${b.length}`);
  }
  const np = pad8(n);
  const heap = rt.heap;
  const pa = heap.alloc(a.length * 4);
  const pb = heap.alloc(b.length * 4);
  const pp = heap.alloc(k * np * 4);
  const pc = heap.alloc(m * np * 4);
  try {
    const mem = rt.f32();
    mem.set(a, pa / 4);
    mem.set(b, pb / 4);
    // op(B)[kk, j] = transB ? b[j, kk] : b[kk, j]
    rt.exports.packB(pb, transB ? 4 : n * 4, transB ? k * 4 : 4, k, k, 0, n, n, 0, 0, pp, k);
    const rsA = transA ? 4 : k * 4;
    const csA = transA ? m * 4 : 4;
    const gemmArgs = (r0: number, r1: number) => [
      r1 - r0,
      k,
      pa + r0 * rsA,
      rsA,
      csA,
      pp,
      k,
      0,
      np / 8,
      pc + r0 * np * 4,
      np * 4,
      0,
    ];
    const [mid] = rowSplit(m, rt.threads());
    rt.run('gemm', gemmArgs(0, mid), mid < m ? gemmArgs(mid, m) : null);
    if (out === undefined || out.length !== m * n) return getRows(rt.f32(), pc / 4, np, m, n);
    return getRowsInto(out, rt.f32(), pc / 4, np, m, n);
  } finally {
    heap.release(pc);
    heap.release(pp);
    heap.release(pb);
    heap.release(pa);
  }
}
