// Quick measurement (issue 13): one fused LSTM or GRU forward + backward at the charlm-step sizes
// (B 32, T 50, D 64, H 256) with no recurrent mask, Gal's per-sequence mask [B, H], and per-step
// masks drawn in the kernel from a seed (Gal, Semeniuta) or given as a [T, B, H] tensor. Reports
// the median wall time and the process CPU time per call (the machine may be loaded: compare CPU).
//   node packages/kernels/scripts/bench-step-mask.mjs [--backend native|wasm] [--cell lstm|gru] [--repeats 20]
// (after `npm run build`; REGULAB_THREADS sets the threads).
import * as tf from '@tensorflow/tfjs';
import { gruSequence, lstmSequence, setKernelBackend, kernelDescription } from '../dist/index.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const backend = arg('backend', 'native');
const cell = arg('cell', 'lstm');
const repeats = Number(arg('repeats', '20'));
if (setKernelBackend(backend) !== backend) {
  console.error(`bench-step-mask: the ${backend} kernels do not load here; build them first (exit 2)`);
  process.exit(2);
}
const [B, T, D, H] = [32, 50, 64, 256];
const G = cell === 'lstm' ? 4 : 3;
const base = {
  x: tf.randomNormal([B, T, D], 0, 1, 'float32', 1),
  h0: tf.zeros([B, H]),
  c0: tf.zeros([B, H]),
  kernel: tf.randomNormal([D, G * H], 0, 0.1, 'float32', 2),
  recurrentKernel: tf.randomNormal([H, G * H], 0, 0.1, 'float32', 3),
  bias: tf.zeros([G * H]),
  resetAfter: false,
  zoneoutSeeded:
    cell === 'lstm' ? { cell: { rate: 0.5, seed: 4 }, hidden: { rate: 0.05, seed: 5 } } : undefined,
};
const keep = (shape, seed) =>
  tf.mul(tf.cast(tf.greater(tf.randomUniform(shape, 0, 1, 'float32', seed), 0.25), 'float32'), 4 / 3);
const variants = {
  'no recurrent mask': {},
  'Gal per sequence [B, H]': { recurrentMask: keep([B, H], 6) },
  'Gal per step, seeded': { dropoutSeeded: { recurrent: { rate: 0.25, seed: 7 } } },
  'Semeniuta per step, seeded': { dropoutSeeded: { candidate: { rate: 0.25, seed: 8 } } },
  'Gal per step, given [T, B, H]': { recurrentMask: keep([T, B, H], 9) },
};
const op = cell === 'lstm' ? lstmSequence : gruSequence;
const step = (inputs) =>
  tf.tidy(() => {
    const f = (x) => {
      const o = op({ ...inputs, x });
      return tf.sum(o.sequence);
    };
    tf.grad(f)(inputs.x).dataSync();
  });

console.log(
  `${cell} forward + backward, B ${B} T ${T} D ${D} H ${H}, ${kernelDescription()}, ${repeats} repeats`,
);
for (const [name, extra] of Object.entries(variants)) {
  const inputs = { ...base, ...extra };
  for (let i = 0; i < 3; i++) step(inputs); // warm-up
  const walls = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    step(inputs);
    walls.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  walls.sort((a, b) => a - b);
  const cpuMs = (cpu.user + cpu.system) / 1000 / repeats;
  console.log(
    `${name.padEnd(32)} wall median ${walls[walls.length >> 1].toFixed(2)} ms  cpu ${cpuMs.toFixed(2)} ms/call`,
  );
}
