/**
 * Normalized rl.layers.lstm and rl.layers.gru (reset-after and reset-before) on the WebAssembly
 * kernels (layer norm and recurrent batch norm inside the wasm cells, issue 13) against the same
 * layer on the tfjs reference op with norm hooks, as ./normalization-kernels.test.ts does for the
 * native kernels: a training call's loss, the gradients of every trainable weight (γ and β
 * included) and the moving statistics it leaves, then an inference call; with zoneout, input
 * dropout and Gal or Semeniuta recurrent dropout.
 *
 * Tolerances: as ./normalization-kernels.test.ts (outputs atol 1e-5, rtol 1e-4; gradients
 * atol 2e-4, rtol 2e-3).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import * as rl from '../src/index.js';
import { allClose } from '../../../test/helpers.js';

const initial = rl.kernels.backend();
afterAll(() => rl.kernels.setKernelBackend(initial));
const OUT_TOL = { atol: 1e-5, rtol: 1e-4 };
const GRAD_TOL = { atol: 2e-4, rtol: 2e-3 };
const [B, T, D, H] = [4, 3, 3, 5];

type Norm = { normalization: 'layer' | 'batch'; layerNormScope?: 'fused' | 'gate' };
const NORMS: Norm[] = [
  { normalization: 'layer', layerNormScope: 'fused' },
  { normalization: 'layer', layerNormScope: 'gate' },
  { normalization: 'batch' },
];
const REGULARIZERS: Record<string, number | string>[] = [
  { dropout: 0.2, recurrentDropout: 0.3, recurrentDropoutMode: 'gal' },
  { recurrentDropout: 0.3, recurrentDropoutMode: 'semeniuta' },
];

/** Loss, gradients and moving statistics of a training call, then an inference call's output. */
type Cell = 'lstm' | 'gru reset-after' | 'gru reset-before';

function run(
  backend: 'wasm' | 'reference',
  norm: Norm,
  reg: object,
  cell: Cell = 'lstm',
): { values: Float32Array[]; grads: number } {
  expect(rl.kernels.setKernelBackend(backend)).toBe(backend);
  const common = {
    units: H,
    returnSequences: true,
    seed: 7,
    normMaxSteps: 2,
    normMomentum: 0.6,
    ...norm,
    ...reg,
  };
  const layer =
    cell === 'lstm'
      ? rl.layers.lstm({ ...common, zoneoutCell: 0.4, zoneoutHidden: 0.2 })
      : rl.layers.gru({ ...common, zoneout: 0.3, resetAfter: cell === 'gru reset-after' });
  const x = tf.randomNormal([B, T, D], 0, 1, 'float32', 3);
  const w = tf.randomNormal([B, T, H], 0, 1, 'float32', 4);
  layer.build(x.shape);
  tf.tidy(() => {
    for (const v of layer.weights)
      if (/gamma|beta/.test(v.name)) v.write(tf.randomUniform(v.shape as number[], 0.5, 1.5, 'float32', 11));
  });
  const f = () => tf.sum(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, w)) as tf.Scalar;
  const { value, grads } = tf.variableGrads(
    f,
    layer.trainableWeights.map((v) => (v as unknown as { val: tf.Variable }).val),
  );
  const out = [value, ...Object.values(grads)].map((t) => Float32Array.from(t.dataSync()));
  for (const v of layer.weights) if (/moving/.test(v.name)) out.push(Float32Array.from(v.read().dataSync()));
  const inference = layer.apply(x) as tf.Tensor;
  out.push(Float32Array.from(inference.dataSync()));
  tf.dispose([x, w, value, inference, ...Object.values(grads)]);
  return { values: out, grads: Object.keys(grads).length };
}

describe('normalized LSTM: wasm kernels vs the reference op', () => {
  it('takes the normalization into the wasm LSTM and GRU (no fallback)', () => {
    rl.kernels.setKernelBackend('wasm');
    const x = tf.zeros([B, T, D]) as tf.Tensor3D;
    const lstmIn = {
      x,
      h0: tf.zeros([B, H]) as tf.Tensor2D,
      c0: tf.zeros([B, H]) as tf.Tensor2D,
      kernel: tf.zeros([D, 4 * H]) as tf.Tensor2D,
      recurrentKernel: tf.zeros([H, 4 * H]) as tf.Tensor2D,
      bias: tf.zeros([4 * H]) as tf.Tensor1D,
    };
    expect(rl.kernels.fusedCanNormalize(lstmIn)).toBe(true);
    const { c0, ...gruIn } = {
      ...lstmIn,
      kernel: tf.zeros([D, 3 * H]),
      recurrentKernel: tf.zeros([H, 3 * H]),
    };
    expect(
      rl.kernels.fusedCanNormalize(gruIn as unknown as Parameters<typeof rl.kernels.fusedCanNormalize>[0]),
    ).toBe(true);
    tf.dispose([...Object.values(lstmIn), gruIn.kernel, gruIn.recurrentKernel, c0]);
  });

  for (const norm of NORMS) {
    const label = `lstm, ${norm.normalization} ${norm.layerNormScope ?? ''}`;
    it(`${label}: outputs, every gradient, moving statistics, inference; with zoneout and dropout`, () => {
      for (const reg of REGULARIZERS) {
        const got = run('wasm', norm, reg);
        const want = run('reference', norm, reg);
        expect(got.values.length).toBe(want.values.length);
        expect(want.grads).toBe(7); // kernel, recurrent kernel, bias, γ_x, γ_h, γ_c, β_c
        want.values.forEach((v, i) => {
          const tol = i >= 1 && i <= want.grads ? GRAD_TOL : OUT_TOL;
          allClose(got.values[i]!, v, tol, `${label} ${JSON.stringify(reg)} #${i}`);
        });
      }
    });
  }
});

describe('normalized GRU: wasm kernels vs the reference op', () => {
  for (const cell of ['gru reset-after', 'gru reset-before'] as const)
    for (const norm of NORMS) {
      const label = `${cell}, ${norm.normalization} ${norm.layerNormScope ?? ''}`;
      it(`${label}: outputs, every gradient, moving statistics, inference; with zoneout and dropout`, () => {
        for (const reg of REGULARIZERS) {
          const got = run('wasm', norm, reg, cell);
          const want = run('reference', norm, reg, cell);
          expect(got.values.length).toBe(want.values.length);
          expect(want.grads).toBe(5); // kernel, recurrent kernel, bias, γ_x, γ_h
          want.values.forEach((v, i) => {
            const tol = i >= 1 && i <= want.grads ? GRAD_TOL : OUT_TOL;
            allClose(got.values[i]!, v, tol, `${label} ${JSON.stringify(reg)} #${i}`);
          });
        }
      });
    }
});
