// CPU and wall time of one charlm-sized LSTM layer step (forward + backward of the recurrent layer
// alone: batch 32 × 50 steps, 64 inputs, 256 units, zoneout 0.5 / 0.05) with normalization 'none',
// 'layer' and 'batch' on the loaded kernels (issue 13). Not the bench (no embedding, softmax or
// optimizer): `npm run bench` measures whole steps. Run after `npm run build`:
//   node packages/lab/scripts/norm-step-time.mjs [repeats=20] [none,layer,batch]
// (one normalization per process gives steadier figures on a busy machine)
import * as tf from '@tensorflow/tfjs';
import * as rl from '../../core/dist/index.js';

const repeats = Number(process.argv[2] ?? 20);
const x = tf.randomNormal([32, 50, 64], 0, 1, 'float32', 1);
const w = tf.randomNormal([32, 50, 256], 0, 1, 'float32', 2);
console.log(`kernels: ${rl.kernels.kernelDescription()}`);
for (const normalization of (process.argv[3] ?? 'none,layer,batch').split(',')) {
  const layer = rl.layers.lstm({
    units: 256,
    returnSequences: true,
    zoneoutCell: 0.5,
    zoneoutHidden: 0.05,
    normalization,
    seed: 3,
  });
  layer.build(x.shape);
  const vars = layer.trainableWeights.map((v) => v.val);
  const step = () =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(
        () => tf.sum(tf.mul(layer.apply(x, { training: true }), w)),
        vars,
      );
      value.dataSync();
      Object.values(grads).forEach((g) => g.dataSync());
    });
  for (let i = 0; i < 3; i++) step();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < repeats; i++) step();
  const wall = (performance.now() - t0) / repeats;
  const c = process.cpuUsage(cpu0);
  const cpu = (c.user + c.system) / 1000 / repeats;
  console.log(`${normalization.padEnd(6)} wall ${wall.toFixed(1)} ms/step  cpu ${cpu.toFixed(1)} ms/step`);
}
