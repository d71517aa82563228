/**
 * Entry of the Regulab WebAssembly kernels (built by `npm run build:wasm` in packages/kernels into
 * wasm/bin/*.wasm, which are committed). Memory is imported (shared when threads are used) and
 * managed by the JavaScript loader; nothing here allocates.
 */
export { gemm, packB } from './gemm';
export { lstmForward, lstmBackward, weightGrads } from './lstm';
export { lstmNormForward, lstmNormBackward, normGrads } from './lstm-norm';
export { gruForward, gruBackward, gruWeightGrads } from './gru';
export { gruNormForward, gruNormBackward, gruNormWeightGrads, gruNormGrads } from './gru-norm';
export { dropoutFill } from './hash';

/** 1 when this build uses relaxed-SIMD fused multiply-add. */
export function relaxed(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}

/** First byte the loader may use (after this module's static data). */
export function heapBase(): usize {
  return __heap_base;
}
