// Speed of the WebAssembly kernels alone (no tfjs): one charlm-like LSTM forward + backward
// (B = 32, T = 50, D = 64, H = 256, zoneout 0.5/0.05 seeded) and the GEMM rate on the recurrent
// shape. Needs the compiled package: `npm run build` first, then
//   node packages/kernels/wasm/bench.mjs [--threads 1|2] [--plain] [--reps 10]
// Prints one JSON line per measurement (median over reps): wall and CPU time (all threads).
import { createWasmImpl } from '../dist/wasm/impl.js';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i < 0 ? dflt : argv[i + 1];
};
const threads = Number(opt('threads', 2));
const reps = Number(opt('reps', 10));
const impl = createWasmImpl({ relaxed: !argv.includes('--plain') });
impl.setThreads(threads);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rand = (n, s) => Float32Array.from({ length: n }, () => (Math.random() * 2 - 1) * s);

function lstmCase(B, T, D, H) {
  return {
    dims: { batch: B, steps: T, inputDim: D, units: H },
    x: rand(B * T * D, 1),
    kernel: rand(D * 4 * H, 0.1),
    recurrentKernel: rand(H * 4 * H, 0.06),
    bias: rand(4 * H, 0.1),
    h0: new Float32Array(B * H),
    c0: new Float32Array(B * H),
    recurrentMask: null,
    candidateMask: null,
    candidatePerStep: false,
    zoneoutCell: { mode: 'seeded', rate: 0.5, seed: 1 },
    zoneoutHidden: { mode: 'seeded', rate: 0.05, seed: 2 },
    stepMask: null,
    goBackwards: false,
    activation: 2,
    recurrentActivation: 1,
  };
}

function timeLstm(B, T, D, H) {
  const args = lstmCase(B, T, D, H);
  const dSeq = rand(B * T * H, 1);
  const dh = new Float32Array(B * H);
  const fwd = [];
  const bwd = [];
  const cpu = [];
  for (let r = 0; r < reps + 2; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const out = impl.lstmForward(args, true);
    const t1 = performance.now();
    impl.lstmBackward(args, out.tape, dSeq, dh, dh);
    const t2 = performance.now();
    const c = process.cpuUsage(c0);
    if (r >= 2) {
      fwd.push(t1 - t0);
      bwd.push(t2 - t1);
      cpu.push((c.user + c.system) / 1000);
    }
  }
  const flops = 2 * B * T * 4 * H * (D + H) * 3; // forward, input+recurrent grads, weight grads
  const ms = median(fwd) + median(bwd);
  console.log(
    JSON.stringify({
      case: `lstm B${B} T${T} D${D} H${H}`,
      impl: impl.describe(),
      fwd_ms: +median(fwd).toFixed(2),
      bwd_ms: +median(bwd).toFixed(2),
      total_ms: +ms.toFixed(2),
      // CPU time of all threads: on a loaded machine wall time says little, CPU time ÷ threads
      // is what a quiet machine would show (plus the synchronisation)
      cpu_ms: +median(cpu).toFixed(2),
      gflops: +(flops / ms / 1e6).toFixed(1),
    }),
  );
}

timeLstm(32, 50, 64, 256); // charlm-step
if (argv.includes('--pmnist')) timeLstm(100, 784, 1, 100); // pmnist-step
// The recurrent GEMM alone: [32, 256]·[256, 1024] per step is what the forward loop runs T times
// (measured through the sgemm-shaped forward of a D = 1 LSTM would include elementwise work, so
// time the exported GEMM directly on the runtime).
{
  const rt = impl.runtime;
  const [M, K, N] = [32, 256, 1024];
  const a = rt.heap.alloc(M * K * 4),
    b = rt.heap.alloc(K * N * 4),
    c = rt.heap.alloc(M * N * 4);
  rt.f32().fill(0.5, a / 4, a / 4 + M * K);
  rt.f32().fill(0.25, b / 4, b / 4 + K * N);
  const gemm = rt.exports.gemm;
  const runs = 200;
  const times = [];
  for (let r = 0; r < 7; r++) {
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) gemm(M, K, a, K * 4, 4, b, K, 0, N / 8, c, N * 4, 0);
    times.push((performance.now() - t0) / runs);
  }
  const ms = median(times);
  console.log(
    JSON.stringify({
      case: `gemm ${M}x${K}x${N} (1 thread)`,
      impl: impl.describe(),
      ms: +ms.toFixed(4),
      gflops: +((2 * M * K * N) / ms / 1e6).toFixed(1),
    }),
  );
}
impl.dispose();
