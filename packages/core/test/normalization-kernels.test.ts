/**
 * Normalized rl.layers.lstm / rl.layers.gru on each fast backend, native and WebAssembly
 * (normalization inside the fused kernels, issue 13), against the same layers on the tfjs reference op with norm hooks
 * (./recurrent/step-normalization.ts, the oracle): a training call's outputs, the gradients of a
 * random linear loss with respect to every trainable weight (γ and β included) and the moving
 * statistics it leaves; then an inference call (batch norm: moving statistics). Each case runs
 * with zoneout and recurrent dropout (Gal and Semeniuta, each with one mask per sequence and a
 * fresh mask per step, which the kernels draw themselves) and input dropout, which both paths draw
 * from the same seed. Leak checks. The native half is skipped where its addon is not built.
 *
 * Tolerances: as packages/kernels/test/fused-norm.test.ts (outputs atol 1e-5, rtol 1e-4;
 * gradients atol 2e-4, rtol 2e-3).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import * as rl from '../src/index.js';
import { allClose, expectNoLeak } from '../../../test/helpers.js';

const initial = rl.kernels.backend();
afterAll(() => rl.kernels.setKernelBackend(initial));
const OUT_TOL = { atol: 1e-5, rtol: 1e-4 };
const GRAD_TOL = { atol: 2e-4, rtol: 2e-3 };
const [B, T, D, H] = [4, 3, 3, 5];

type Cell = 'lstm' | 'gru reset-before' | 'gru reset-after';
type Norm = { normalization: 'layer' | 'batch'; layerNormScope?: 'fused' | 'gate' };
const NORMS: Norm[] = [
  { normalization: 'layer', layerNormScope: 'fused' },
  { normalization: 'layer', layerNormScope: 'gate' },
  { normalization: 'batch' },
];
const REGULARIZERS: Record<string, number | string>[] = [
  { dropout: 0.2, recurrentDropout: 0.3, recurrentDropoutMode: 'gal' },
  { recurrentDropout: 0.3, recurrentDropoutMode: 'gal', recurrentDropoutMask: 'step' },
  { recurrentDropout: 0.3, recurrentDropoutMode: 'semeniuta' },
  { recurrentDropout: 0.3, recurrentDropoutMode: 'semeniuta', recurrentDropoutMask: 'sequence' },
];
type Fast = 'native' | 'wasm';

function layerOf(cell: Cell, norm: Norm, reg: object): tf.layers.Layer {
  const common = {
    units: H,
    returnSequences: true,
    seed: 7,
    normMaxSteps: 2,
    normMomentum: 0.6,
    ...norm,
    ...reg,
  };
  if (cell === 'lstm') return rl.layers.lstm({ ...common, zoneoutCell: 0.4, zoneoutHidden: 0.2 });
  return rl.layers.gru({ ...common, zoneout: 0.2, resetAfter: cell === 'gru reset-after' });
}

/**
 * One training call (loss, gradients, moving statistics after) and one inference call's output;
 * `grads`: how many of the values (after the loss) are gradients.
 */
function run(
  backend: Fast | 'reference',
  cell: Cell,
  norm: Norm,
  reg: object,
): { values: Float32Array[]; grads: number } {
  expect(rl.kernels.setKernelBackend(backend)).toBe(backend);
  const layer = layerOf(cell, norm, reg);
  const x = tf.randomNormal([B, T, D], 0, 1, 'float32', 3);
  const w = tf.randomNormal([B, T, H], 0, 1, 'float32', 4);
  layer.build([B, T, D]);
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

describe('the fast backends take normalization into the LSTM and GRU (no fallback)', () => {
  it('wasm: fusedCanNormalize says yes for both cells, per-step masks and state-gradient norms included', () => {
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
    const perStep = {
      ...lstmIn,
      dropoutSeeded: { recurrent: { rate: 0.3, seed: 1 }, candidate: { rate: 0.2, seed: 2 } },
      stateGradientNorms: () => {},
    };
    expect(rl.kernels.fusedCanNormalize(perStep)).toBe(true);
    const given = tf.ones([T, B, H]) as tf.Tensor3D;
    expect(rl.kernels.fusedCanNormalize({ ...lstmIn, recurrentMask: given })).toBe(true);
    given.dispose();
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
});

for (const fast of ['native', 'wasm'] as Fast[])
  describe.skipIf(fast === 'native' && initial !== 'native')(
    `normalized layers: ${fast} kernels vs the reference op`,
    () => {
      for (const cell of ['lstm', 'gru reset-before', 'gru reset-after'] as Cell[]) {
        for (const norm of NORMS) {
          const label = `${cell}, ${norm.normalization} ${norm.layerNormScope ?? ''}`;
          it(`${label}: outputs, every gradient, moving statistics, inference; with zoneout and dropout`, () => {
            for (const reg of REGULARIZERS) {
              const got = run(fast, cell, norm, reg);
              const want = run('reference', cell, norm, reg);
              expect(got.values.length).toBe(want.values.length);
              expect(want.grads).toBe(cell === 'lstm' ? 7 : 5); // kernel, recurrent kernel, bias, γ (β)
              want.values.forEach((v, i) => {
                const tol = i >= 1 && i <= want.grads ? GRAD_TOL : OUT_TOL;
                allClose(got.values[i]!, v, tol, `${label} ${JSON.stringify(reg)} #${i}`);
              });
            }
          });
        }
      }

      it('leave tf.memory flat over a training step and an inference call', async () => {
        rl.kernels.setKernelBackend(fast);
        for (const cell of ['lstm', 'gru reset-after'] as Cell[]) {
          for (const norm of NORMS) {
            const layer = layerOf(cell, norm, REGULARIZERS[0]!);
            const x = tf.randomNormal([B, T, D], 0, 1, 'float32', 3);
            layer.build([B, T, D]);
            const vars = layer.trainableWeights.map((v) => (v as unknown as { val: tf.Variable }).val);
            const step = () => {
              const { value, grads } = tf.variableGrads(
                () => tf.sum(layer.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
                vars,
              );
              tf.dispose([value, ...Object.values(grads), layer.apply(x) as tf.Tensor]);
            };
            step(); // builds what a first call builds once
            await expectNoLeak(step, `${cell} ${norm.normalization}`);
            x.dispose();
          }
        }
      });
    },
  );
