// Quick measurement (issue 13): one fused LSTM or GRU forward, and forward + backward (with ∂x), at
// the pmnist-step sizes by default (B 100, T 784, D 1, H 100), with no normalization, layer norm or
// recurrent batch norm (training). Prints the mean wall time and the process CPU time per call over
// 5 calls after 2 warm-up steps (the machine may be loaded: compare CPU).
//   node packages/kernels/scripts/bench-norm-kernel.mjs [native|wasm] [none|layer|batch] [B T D H] [lstm|gru|gru-reset-before]
// (after `npm run build`; REGULAB_THREADS sets the threads; 'gru' is reset-after, Keras's default).
import * as tf from '@tensorflow/tfjs';
import { gruSequence, kernelDescription, lstmSequence, setKernelBackend } from '../dist/index.js';

const args = process.argv.slice(2);
const backend = args[0] ?? 'native';
const kind = args[1] ?? 'batch';
const [B, T, D, H] = [2, 3, 4, 5].map((i, k) => Number(args[i] ?? [100, 784, 1, 100][k]));
if (setKernelBackend(backend) !== backend) {
  console.error(`bench-norm-kernel: the ${backend} kernels do not load here; build them first (exit 2)`);
  process.exit(2);
}
const cell = args[6] ?? 'lstm';
if (!['lstm', 'gru', 'gru-reset-before'].includes(cell)) {
  console.error(`bench-norm-kernel: cell ${cell} is not lstm, gru or gru-reset-before (exit 2)`);
  process.exit(2);
}
const lstm = cell === 'lstm';
const resetAfter = cell === 'gru';
const F = (lstm ? 4 : 3) * H;
const u = (shape, lo, hi, seed) => tf.randomUniform(shape, lo, hi, 'float32', seed);
const inputs = {
  x: tf.randomNormal([B, T, D], 0, 1, 'float32', 1),
  h0: tf.zeros([B, H]),
  ...(lstm ? { c0: tf.zeros([B, H]) } : { resetAfter }),
  kernel: tf.randomNormal([D, F], 0, 0.1, 'float32', 2),
  recurrentKernel: tf.randomNormal([H, F], 0, 0.1, 'float32', 3),
  bias: resetAfter ? tf.zeros([2, F]) : tf.zeros([F]),
};
if (kind !== 'none')
  inputs.normalization = {
    kind,
    scope: 'fused',
    training: true,
    gammaX: u([F], 0.5, 1.5, 4),
    gammaH: u([F], 0.5, 1.5, 5),
    ...(lstm ? { gammaC: u([H], 0.5, 1.5, 6), betaC: u([H], -0.3, 0.3, 7) } : {}),
  };
const sequenceOf = (i) => (lstm ? lstmSequence(i) : gruSequence(i)).sequence;
const both = () =>
  tf.tidy(() => {
    tf.grad((x) => tf.sum(sequenceOf({ ...inputs, x })))(inputs.x).dataSync();
  });
const forward = () =>
  tf.tidy(() => {
    sequenceOf(inputs).dataSync();
  });
for (let i = 0; i < 2; i++) both();
for (const [name, f] of [
  ['forward', forward],
  ['forward + backward', both],
]) {
  const n = 5;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) f();
  const wall = (performance.now() - t0) / n;
  const c = process.cpuUsage(cpu0);
  console.log(
    `${kernelDescription()}, ${cell}, ${kind}, B ${B} T ${T} D ${D} H ${H}, ${name}: ${wall.toFixed(1)} ms wall, ${((c.user + c.system) / 1000 / n).toFixed(1)} ms CPU`,
  );
}
