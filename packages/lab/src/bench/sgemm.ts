/**
 * The machine's attainable matmul rate, measured with the fast kernels' sgemm (all threads) on
 * square and step-shaped products, into one output buffer (a fresh output per call would measure
 * first-touch page faults, not the GEMM): the best single call over ~0.4 s per shape. The best
 * GFLOP/s is the denominator of the "step ÷ FLOP bound" figure. Also the rate per second of CPU
 * time (all threads of the process, over all calls of a shape; best shape), the denominator of
 * the CPU-time figure, which a loaded machine inflates far less than wall time.
 */
import * as rl from 'regulab';

export function sgemmRate():
  { sgemm_gflops: number; sgemm_cpu_gflops: number; shapes: Record<string, number> } | { error: string } {
  const impl = rl.kernels.fusedImpl();
  if (!impl?.sgemm) return { error: 'no fast kernels with sgemm' };
  const shapes: [number, number, number][] = [
    [512, 512, 512],
    [1024, 1024, 1024],
    [1600, 256, 1024],
    [321, 1600, 1024], // the LSTM's weight gradient of charlm-step
  ];
  const out: Record<string, number> = {};
  let best = 0;
  let bestCpu = 0;
  for (const [m, k, n] of shapes) {
    const a = Float32Array.from({ length: m * k }, (_, i) => ((i * 7) % 13) / 13);
    const b = Float32Array.from({ length: k * n }, (_, i) => ((i * 5) % 11) / 11);
    const c = impl.sgemm(a, b, m, k, n, false, false);
    let fastest = Infinity;
    let calls = 0;
    const cpu0 = process.cpuUsage();
    for (const t0 = performance.now(); performance.now() - t0 < 400; calls++) {
      const t = performance.now();
      impl.sgemm(a, b, m, k, n, false, false, c);
      fastest = Math.min(fastest, performance.now() - t);
    }
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const gflops = (2 * m * k * n) / (fastest * 1e6);
    out[`${m}x${k}x${n}`] = Math.round(gflops);
    best = Math.max(best, gflops);
    bestCpu = Math.max(bestCpu, (2 * m * k * n * calls) / (cpuMs * 1e6));
  }
  return { sgemm_gflops: Math.round(best), sgemm_cpu_gflops: Math.round(bestCpu), shapes: out };
}
