/**
 * The machine's attainable rate for the pass every training step ends with: one Adam update of the
 * weights (the fast kernels' fused optimizer step, the one `rl.optimizers.adam` runs), which reads
 * w, g, m, v and writes w, m, v (28 bytes per weight) and does too little arithmetic to be bound by
 * it. Measured on 2²¹ weights (the size of the feed-forward steps' models: mlp-step has 1.86 M) as
 * the best single call over ~0.4 s, in bytes moved per second. With the matmul rate (./sgemm.ts)
 * it gives a lower bound on a step that runs its products and its optimizer one after another, as
 * tfjs does: FLOPs ÷ GEMM rate + 28 · weights ÷ this rate.
 */
import * as rl from 'regulab';

/** Bytes an Adam step reads and writes per weight: w, g, m, v in, w, m, v out, float32. */
export const ADAM_BYTES_PER_WEIGHT = 7 * 4;

export function adamPassRate(n = 2 ** 21): { adam_gbps: number } | { error: string } {
  const impl = rl.kernels.fusedImpl();
  if (!impl?.optimizerUpdate) return { error: 'no fast kernels with an optimizer update' };
  const w = Float32Array.from({ length: n }, (_, i) => ((i * 7) % 13) / 13);
  const g = Float32Array.from({ length: n }, (_, i) => ((i * 5) % 11) / 110);
  const m = new Float32Array(n);
  const v = new Float32Array(n);
  const lr = 1e-3;
  const [b1, b2] = [0.9, 0.999];
  // [lr·λ, lr, β1, 1 − β1, β2, 1 − β2, ε, 1 − β1^t, 1 − β2^t] (OptimizerUpdate's adam), t = 1
  const params = Float64Array.from([0, lr, b1, 1 - b1, b2, 1 - b2, 1e-7, 1 - b1, 1 - b2]);
  impl.optimizerUpdate(rl.kernels.OPTIMIZER_KIND.adam, w, g, m, v, params);
  let fastest = Infinity;
  for (const t0 = performance.now(); performance.now() - t0 < 400;) {
    const t = performance.now();
    impl.optimizerUpdate(rl.kernels.OPTIMIZER_KIND.adam, w, g, m, v, params);
    fastest = Math.min(fastest, performance.now() - t);
  }
  return { adam_gbps: Math.round(((ADAM_BYTES_PER_WEIGHT * n) / (fastest * 1e6)) * 10) / 10 };
}
