/**
 * The machine's attainable matmul rate, measured with the native kernels' sgemm (weights packed,
 * all threads) on square and step-shaped products: the best GFLOP/s is the denominator of the
 * "step ÷ FLOP bound" figure.
 */
import * as rl from 'regulab';

export function sgemmRate(): { sgemm_gflops: number; shapes: Record<string, number> } | { error: string } {
  const impl = rl.kernels.fusedImpl();
  if (!impl?.sgemm) return { error: 'no fast kernels with sgemm' };
  const shapes: [number, number, number][] = [
    [512, 512, 512],
    [1024, 1024, 1024],
    [1600, 256, 1024],
  ];
  const out: Record<string, number> = {};
  let best = 0;
  for (const [m, k, n] of shapes) {
    const a = Float32Array.from({ length: m * k }, (_, i) => ((i * 7) % 13) / 13);
    const b = Float32Array.from({ length: k * n }, (_, i) => ((i * 5) % 11) / 11);
    impl.sgemm(a, b, m, k, n, false, false);
    let reps = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < 500) {
      impl.sgemm(a, b, m, k, n, false, false);
      reps++;
    }
    const gflops = (2 * m * k * n * reps) / ((performance.now() - t0) * 1e6);
    out[`${m}x${k}x${n}`] = Math.round(gflops);
    best = Math.max(best, gflops);
  }
  return { sgemm_gflops: Math.round(best), shapes: out };
}
