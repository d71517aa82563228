/**
 * rl.layers.fromTorchLstm / fromTorchGru take PyTorch weights as tensors, nested arrays or typed
 * arrays (rows of typed arrays for a matrix), and toTorch∘fromTorch gives the layer's weights back
 * exactly (transposes, block swaps and adding a zero bias are exact in float32), without leaking.
 * Agreement with PyTorch's own outputs is in recurrent-equivalence.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as rl from 'regulab';
import { expectNoLeak } from '../../../test/helpers.js';

type Torch = ReturnType<typeof rl.layers.toTorchLstm>;
type Form = [string, (w: Torch) => Parameters<typeof rl.layers.fromTorchLstm>[0]];

const forms: Form[] = [
  ['tensors', (w) => w],
  [
    'nested arrays',
    (w) => ({
      weightIh: w.weightIh.arraySync(),
      weightHh: w.weightHh.arraySync(),
      biasIh: w.biasIh.arraySync(),
      biasHh: w.biasHh.arraySync(),
    }),
  ],
  [
    'Float32Array rows and vectors',
    (w) => ({
      weightIh: w.weightIh.arraySync().map((r) => Float32Array.from(r)),
      weightHh: w.weightHh.arraySync().map((r) => Float32Array.from(r)),
      biasIh: w.biasIh.dataSync() as Float32Array,
      biasHh: w.biasHh.dataSync() as Float32Array,
    }),
  ],
  [
    'Float64Array rows and vectors',
    (w) => ({
      weightIh: w.weightIh.arraySync().map((r) => Float64Array.from(r)),
      weightHh: w.weightHh.arraySync().map((r) => Float64Array.from(r)),
      biasIh: Float64Array.from(w.biasIh.dataSync()),
      biasHh: Float64Array.from(w.biasHh.dataSync()),
    }),
  ],
];

const cases = [
  {
    name: 'lstm',
    layer: () => rl.layers.lstm({ units: 3, seed: 2 }),
    to: rl.layers.toTorchLstm,
    from: rl.layers.fromTorchLstm,
  },
  {
    name: 'gru',
    layer: () => rl.layers.gru({ units: 3, seed: 2, resetAfter: true }),
    to: rl.layers.toTorchGru,
    from: rl.layers.fromTorchGru,
  },
];

describe('PyTorch weight transfer accepts every input form', () => {
  for (const { name, layer, to, from } of cases) {
    for (const [form, convert] of forms) {
      it(`${name}: from(to(weights)) with ${form} gives the same weights, float32, no leak`, async () => {
        const l = layer();
        l.apply(tf.zeros([1, 2, 4]));
        const weights = l.getWeights();
        const torch = to(weights);
        const given = convert(torch);
        await expectNoLeak(() => tf.dispose(from(given)), `${name} from ${form}`);
        const back = from(given);
        expect(back.map((t) => t.shape)).toEqual(weights.map((t) => t.shape));
        back.forEach((t, i) => {
          expect(t.dtype).toBe('float32');
          expect(Array.from(t.dataSync()), `${name} weight ${i}`).toEqual(Array.from(weights[i]!.dataSync()));
        });
        // The caller's tensors are copied, not consumed.
        expect(torch.weightIh.isDisposed).toBe(false);
        tf.dispose([...back, ...weights, torch.weightIh, torch.weightHh, torch.biasIh, torch.biasHh]);
      });
    }
  }

  it('an Int32Array bias becomes float32 and a bad shape is still named', () => {
    const w = {
      weightIh: [[1], [2], [3], [4]],
      weightHh: [[1], [2], [3], [4]],
      biasIh: Int32Array.of(1, 2, 3, 4),
    };
    const [, , bias] = rl.layers.fromTorchLstm({ ...w, biasHh: [0, 0, 0, 0] });
    expect(bias!.dtype).toBe('float32');
    expect(Array.from(bias!.dataSync())).toEqual([1, 2, 3, 4]);
    expect(() => rl.layers.fromTorchLstm({ ...w, biasHh: Float32Array.of(0, 0) })).toThrow(
      /fromTorchLstm: expected .* got \[4, 1\], \[4, 1\], \[4\], \[2\]/,
    );
  });
});

describe('layers built with useBias: false (PyTorch bias=False)', () => {
  for (const { name, layer, to, from } of [
    {
      name: 'lstm',
      layer: () => rl.layers.lstm({ units: 3, seed: 2, useBias: false }),
      to: rl.layers.toTorchLstm,
      from: rl.layers.fromTorchLstm,
    },
    {
      name: 'gru',
      layer: () => rl.layers.gru({ units: 3, seed: 2, resetAfter: true, useBias: false }),
      to: rl.layers.toTorchGru,
      from: rl.layers.fromTorchGru,
    },
  ]) {
    it(`${name}: to() gives zero biases; from() without biases gives [kernel, recurrent] that load back exactly`, () => {
      const l = layer();
      const x = tf.randomNormal([2, 5, 4], 0, 1, 'float32', 1);
      const before = l.apply(x) as tf.Tensor;
      const weights = l.getWeights();
      expect(weights).toHaveLength(2);
      const torch = to(weights);
      expect(Array.from(torch.biasIh.dataSync()).every((v) => v === 0)).toBe(true);
      expect(Array.from(torch.biasHh.dataSync()).every((v) => v === 0)).toBe(true);
      const back = from({ weightIh: torch.weightIh, weightHh: torch.weightHh }); // bias=False
      expect(back.map((t) => t.shape)).toEqual(weights.map((t) => t.shape));
      const fresh = layer();
      fresh.apply(x);
      fresh.setWeights(back);
      const after = fresh.apply(x) as tf.Tensor;
      expect(Array.from(after.dataSync())).toEqual(Array.from(before.dataSync()));
      tf.dispose([x, before, after, ...back, ...Object.values(torch)]);
    });
  }

  it('one bias without the other is refused, naming the missing one', () => {
    const w = { weightIh: [[1], [2], [3], [4]], weightHh: [[1], [2], [3], [4]] };
    expect(() => rl.layers.fromTorchLstm({ ...w, biasIh: [1, 2, 3, 4] })).toThrow(
      'fromTorchLstm: give both biasIh and biasHh, or neither (a module built with bias=False); got only biasIh',
    );
  });
});
