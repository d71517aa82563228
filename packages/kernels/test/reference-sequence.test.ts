/**
 * The reference fused ops against the equations written out step by step here, plus the
 * structural guarantees of the contract (zoneout keep masks, padding carry-over, goBackwards,
 * Semeniuta never erasing memory), finite-difference gradients, shape errors and leaks.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { referenceGruSequence, referenceLstmSequence, zoneoutMaskFromSeed } from '@regulab/kernels';
import type { GruSequenceInputs, LstmSequenceInputs } from '@regulab/kernels';
import { allClose, checkGradient, expectNoLeak } from '../../../test/helpers.js';

const B = 2;
const T = 3;
const D = 3;
const H = 2;
const rand = (shape: number[], seed: number, scale = 0.6) =>
  tf.randomUniform(shape, -scale, scale, 'float32', seed);

function lstmInputs(seed = 1): LstmSequenceInputs {
  return {
    x: rand([B, T, D], seed, 1) as tf.Tensor3D,
    h0: rand([B, H], seed + 1) as tf.Tensor2D,
    c0: rand([B, H], seed + 2) as tf.Tensor2D,
    kernel: rand([D, 4 * H], seed + 3) as tf.Tensor2D,
    recurrentKernel: rand([H, 4 * H], seed + 4) as tf.Tensor2D,
    bias: rand([4 * H], seed + 5) as tf.Tensor1D,
  };
}

function gruInputs(resetAfter: boolean, seed = 11): GruSequenceInputs {
  return {
    x: rand([B, T, D], seed, 1) as tf.Tensor3D,
    h0: rand([B, H], seed + 1) as tf.Tensor2D,
    kernel: rand([D, 3 * H], seed + 3) as tf.Tensor2D,
    recurrentKernel: rand([H, 3 * H], seed + 4) as tf.Tensor2D,
    bias: (resetAfter ? rand([2, 3 * H], seed + 5) : rand([3 * H], seed + 5)) as tf.Tensor1D,
    resetAfter,
  };
}

/** One LSTM step written out gate by gate (independent of the op's fused matmuls). */
function lstmStep(p: LstmSequenceInputs, xt: tf.Tensor2D, h: tf.Tensor2D, c: tf.Tensor2D) {
  const gate = (j: number) =>
    tf.add(
      tf.add(
        tf.matMul(xt, tf.slice(p.kernel, [0, j * H], [-1, H])),
        tf.matMul(h, tf.slice(p.recurrentKernel, [0, j * H], [-1, H])),
      ),
      tf.slice(p.bias, j * H, H),
    );
  const i = tf.sigmoid(gate(0));
  const f = tf.sigmoid(gate(1));
  const g = tf.tanh(gate(2));
  const o = tf.sigmoid(gate(3));
  const cNew = tf.add(tf.mul(f, c), tf.mul(i, g)) as tf.Tensor2D;
  return { h: tf.mul(o, tf.tanh(cNew)) as tf.Tensor2D, c: cNew, f, i, g };
}

const xAt = (x: tf.Tensor3D, t: number) =>
  tf.squeeze(tf.slice(x, [0, t, 0], [-1, 1, -1]), [1]) as tf.Tensor2D;

describe('referenceLstmSequence', () => {
  it('matches the LSTM equations step by step (sigmoid gates, tanh)', () => {
    tf.tidy(() => {
      const p = lstmInputs();
      const out = referenceLstmSequence(p);
      let h = p.h0;
      let c = p.c0;
      for (let t = 0; t < T; t++) {
        ({ h, c } = lstmStep(p, xAt(p.x, t), h, c));
        allClose(xAt(out.sequence, t), h, { atol: 1e-6 }, `h_${t}`);
      }
      allClose(out.h, h, { atol: 1e-6 }, 'last h');
      allClose(out.c, c, { atol: 1e-6 }, 'last c');
    });
  });

  it('goBackwards equals running the reversed sequence (outputs in processing order)', () => {
    tf.tidy(() => {
      const p = lstmInputs(3);
      const back = referenceLstmSequence({ ...p, goBackwards: true });
      const rev = referenceLstmSequence({ ...p, x: tf.reverse(p.x, 1) as tf.Tensor3D });
      allClose(back.sequence, rev.sequence, { atol: 1e-6 }, 'sequence');
      allClose(back.c, rev.c, { atol: 1e-6 }, 'c');
    });
  });

  it('zoneout masks of ones keep the initial state at every step', () => {
    tf.tidy(() => {
      const p = lstmInputs(5);
      const ones = tf.ones([T, B, H]) as tf.Tensor3D;
      const out = referenceLstmSequence({
        ...p,
        zoneoutCell: { kind: 'mask', mask: ones },
        zoneoutHidden: { kind: 'mask', mask: ones },
      });
      for (let t = 0; t < T; t++)
        expect(Array.from(xAt(out.sequence, t).dataSync())).toEqual(Array.from(p.h0.dataSync()));
      expect(Array.from(out.c.dataSync())).toEqual(Array.from(p.c0.dataSync()));
    });
  });

  it('zoneout mixes previous and un-zoned new states per unit (d = 1 keeps), from the un-zoned cell', () => {
    tf.tidy(() => {
      const p = lstmInputs(7);
      // Step 0 keeps unit 0 of c and unit 1 of h; step 1 updates everything.
      const dc = tf.tensor3d([
        [
          [1, 0],
          [1, 0],
        ],
        [
          [0, 0],
          [0, 0],
        ],
        [
          [0, 0],
          [0, 0],
        ],
      ]);
      const dh = tf.tensor3d([
        [
          [0, 1],
          [0, 1],
        ],
        [
          [0, 0],
          [0, 0],
        ],
        [
          [0, 0],
          [0, 0],
        ],
      ]);
      const out = referenceLstmSequence({
        ...p,
        zoneoutCell: { kind: 'mask', mask: dc },
        zoneoutHidden: { kind: 'mask', mask: dh },
      });
      const s0 = lstmStep(p, xAt(p.x, 0), p.h0, p.c0);
      const c0z = tf.add(
        tf.mul(tf.squeeze(tf.slice(dc, [0, 0, 0], [1, -1, -1]), [0]), p.c0),
        tf.mul(tf.sub(1, tf.squeeze(tf.slice(dc, [0, 0, 0], [1, -1, -1]), [0])), s0.c),
      ) as tf.Tensor2D;
      const d0 = tf.squeeze(tf.slice(dh, [0, 0, 0], [1, -1, -1]), [0]);
      const h0z = tf.add(tf.mul(d0, p.h0), tf.mul(tf.sub(1, d0), s0.h)) as tf.Tensor2D; // h̃ from the un-zoned c̃
      allClose(xAt(out.sequence, 0), h0z, { atol: 1e-6 }, 'h_0');
      const s1 = lstmStep(p, xAt(p.x, 1), h0z, c0z);
      allClose(xAt(out.sequence, 1), s1.h, { atol: 1e-6 }, 'h_1 continues from the zoned states');
    });
  });

  it('seeded zoneout equals zoneout with the masks zoneoutMaskFromSeed draws', () => {
    tf.tidy(() => {
      const p = lstmInputs(8);
      const seeded = referenceLstmSequence({
        ...p,
        zoneoutSeeded: { cell: { rate: 0.5, seed: 12 }, hidden: { rate: 0.3, seed: 34 } },
      });
      const mask = (seed: number, rate: number) => ({
        kind: 'mask' as const,
        mask: tf.tensor3d(zoneoutMaskFromSeed(seed, rate, T, B, H), [T, B, H]),
      });
      const explicit = referenceLstmSequence({
        ...p,
        zoneoutCell: mask(12, 0.5),
        zoneoutHidden: mask(34, 0.3),
      });
      expect(Array.from(seeded.sequence.dataSync())).toEqual(Array.from(explicit.sequence.dataSync()));
      expect(Array.from(seeded.c.dataSync())).toEqual(Array.from(explicit.c.dataSync()));
      const g = gruInputs(true);
      const gs = referenceGruSequence({ ...g, zoneoutSeeded: { hidden: { rate: 1, seed: 5 } } });
      expect(Array.from(gs.h.dataSync())).toEqual(Array.from(g.h0.dataSync())); // rate 1 keeps h0
    });
  });

  it('zoneout expectation: s_t = z·s_{t−1} + (1 − z)·s̃_t', () => {
    tf.tidy(() => {
      const p = lstmInputs(9);
      const z = 0.3;
      const out = referenceLstmSequence({
        ...p,
        x: tf.slice(p.x, [0, 0, 0], [-1, 1, -1]) as tf.Tensor3D,
        zoneoutCell: { kind: 'expectation', rate: z },
        zoneoutHidden: { kind: 'expectation', rate: z },
      });
      const s = lstmStep(p, xAt(p.x, 0), p.h0, p.c0);
      allClose(out.c, tf.add(tf.mul(p.c0, z), tf.mul(s.c, 1 - z)), { atol: 1e-6 }, 'c');
      allClose(out.h, tf.add(tf.mul(p.h0, z), tf.mul(s.h, 1 - z)), { atol: 1e-6 }, 'h');
    });
  });

  it('Semeniuta: a zero candidate mask leaves c_t = f ⊙ c_{t−1} (memory is never erased)', () => {
    tf.tidy(() => {
      const p = lstmInputs(13);
      const one = { ...p, x: tf.slice(p.x, [0, 0, 0], [-1, 1, -1]) as tf.Tensor3D };
      const out = referenceLstmSequence({ ...one, candidateMask: tf.zeros([1, B, H]) as tf.Tensor3D });
      const s = lstmStep(p, xAt(p.x, 0), p.h0, p.c0);
      allClose(out.c, tf.mul(s.f, p.c0), { atol: 1e-6 }, 'c');
    });
  });

  it('padded steps carry h and c over, and the output there is the carried h', () => {
    tf.tidy(() => {
      const p = lstmInputs(15);
      const stepMask = tf.tensor2d([
        [1, 0, 1],
        [1, 1, 0],
      ]);
      const out = referenceLstmSequence({ ...p, stepMask });
      const seq = out.sequence.arraySync();
      expect(seq[0]![1]).toEqual(seq[0]![0]);
      expect(seq[1]![2]).toEqual(seq[1]![1]);
      // Example 0 = steps 0 and 2 only.
      const s0 = lstmStep(p, xAt(p.x, 0), p.h0, p.c0);
      const s2 = lstmStep(p, xAt(p.x, 2), s0.h, s0.c);
      allClose(
        tf.slice(out.h, [0, 0], [1, -1]),
        tf.slice(s2.h, [0, 0], [1, -1]),
        { atol: 1e-6 },
        'example 0',
      );
    });
  });

  it('Gal recurrent mask multiplies h_{t−1} in the recurrent matmul only', () => {
    tf.tidy(() => {
      const p = lstmInputs(17);
      const m = tf.tensor2d([
        [2, 0],
        [0, 2],
      ]);
      const one = { ...p, x: tf.slice(p.x, [0, 0, 0], [-1, 1, -1]) as tf.Tensor3D };
      const out = referenceLstmSequence({ ...one, recurrentMask: m });
      // Only the gates see the masked h; c_{t−1} is not masked.
      const s = lstmStep(p, xAt(p.x, 0), tf.mul(p.h0, m) as tf.Tensor2D, p.c0);
      allClose(out.h, s.h, { atol: 1e-6 }, 'h');
    });
  });

  it('finite-difference gradients with every mask at once, goBackwards (atol 2e-3, rtol 2e-2, eps 1e-3)', () => {
    const p = lstmInputs(19);
    const masks: Partial<LstmSequenceInputs> = {
      recurrentMask: tf.tensor2d([
        [2, 0],
        [2, 2],
      ]),
      candidateMask: tf.tensor3d([
        [
          [2, 2],
          [0, 2],
        ],
        [
          [2, 0],
          [2, 2],
        ],
        [
          [0, 2],
          [2, 2],
        ],
      ]),
      zoneoutCell: {
        kind: 'mask',
        mask: tf.tensor3d([
          [
            [1, 0],
            [0, 0],
          ],
          [
            [0, 1],
            [0, 0],
          ],
          [
            [0, 0],
            [1, 0],
          ],
        ]),
      },
      zoneoutHidden: { kind: 'expectation', rate: 0.2 },
      stepMask: tf.tensor2d([
        [1, 1, 1],
        [1, 0, 1],
      ]),
      goBackwards: true,
    };
    const weights = tf.randomNormal([B, T, H], 0, 1, 'float32', 3);
    const loss = (q: LstmSequenceInputs) => {
      const out = referenceLstmSequence({ ...q, ...masks });
      return tf.add(tf.sum(tf.mul(out.sequence, weights)), tf.sum(out.c)) as tf.Scalar;
    };
    for (const key of ['x', 'h0', 'c0', 'kernel', 'recurrentKernel', 'bias'] as const) {
      checkGradient((v) => loss({ ...p, [key]: v }), p[key], undefined, 1e-3, `d/d${key}`);
    }
  });

  it('rejects tensors of the wrong shape, naming them', () => {
    const p = lstmInputs();
    expect(() => referenceLstmSequence({ ...p, bias: tf.zeros([3]) as tf.Tensor1D })).toThrow(
      /bias must have shape \[8\], got \[3\]/,
    );
    expect(() => referenceLstmSequence({ ...p, recurrentMask: tf.zeros([B, H + 1]) as tf.Tensor2D })).toThrow(
      /recurrentMask/,
    );
    expect(() =>
      referenceLstmSequence({
        ...p,
        zoneoutCell: { kind: 'mask', mask: tf.zeros([T + 1, B, H]) as tf.Tensor3D },
      }),
    ).toThrow(/zoneoutCell.mask/);
    expect(() => referenceLstmSequence({ ...p, stepMask: tf.zeros([T, B]) as tf.Tensor2D })).toThrow(
      /stepMask/,
    );
  });

  it('leaves no tensors behind', async () => {
    const p = lstmInputs();
    const m = tf.ones([T, B, H]) as tf.Tensor3D;
    const stepMask = tf.ones([B, T]) as tf.Tensor2D;
    await expectNoLeak(() => {
      const out = referenceLstmSequence({
        ...p,
        zoneoutCell: { kind: 'mask', mask: m },
        stepMask,
      });
      tf.dispose([out.sequence, out.h, out.c]);
    }, 'forward');
    await expectNoLeak(() => {
      const g = tf.grads(
        (k: tf.Tensor) =>
          tf.sum(referenceLstmSequence({ ...p, kernel: k as tf.Tensor2D }).sequence) as tf.Scalar,
      )([p.kernel]);
      tf.dispose(g);
    }, 'gradient');
  });
});

/** One GRU step written out (Keras's equations). */
function gruStep(p: GruSequenceInputs, xt: tf.Tensor2D, h: tf.Tensor2D): tf.Tensor2D {
  const W = (j: number) => tf.slice(p.kernel, [0, j * H], [-1, H]);
  const U = (j: number) => tf.slice(p.recurrentKernel, [0, j * H], [-1, H]);
  const bIn = (j: number) =>
    p.resetAfter
      ? tf.slice(p.bias, [0, j * H], [1, H]).reshape([H])
      : tf.slice(p.bias as tf.Tensor1D, j * H, H);
  const bRec = (j: number) =>
    p.resetAfter ? tf.slice(p.bias, [1, j * H], [1, H]).reshape([H]) : tf.zeros([H]);
  const z = tf.sigmoid(tf.add(tf.add(tf.matMul(xt, W(0)), bIn(0)), tf.add(tf.matMul(h, U(0)), bRec(0))));
  const r = tf.sigmoid(tf.add(tf.add(tf.matMul(xt, W(1)), bIn(1)), tf.add(tf.matMul(h, U(1)), bRec(1))));
  const rec = p.resetAfter ? tf.mul(r, tf.add(tf.matMul(h, U(2)), bRec(2))) : tf.matMul(tf.mul(r, h), U(2));
  const hh = tf.tanh(tf.add(tf.add(tf.matMul(xt, W(2)), bIn(2)), rec));
  return tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), hh)) as tf.Tensor2D;
}

describe('referenceGruSequence', () => {
  for (const resetAfter of [false, true]) {
    it(`matches the GRU equations step by step (resetAfter ${resetAfter})`, () => {
      tf.tidy(() => {
        const p = gruInputs(resetAfter);
        const out = referenceGruSequence(p);
        let h = p.h0;
        for (let t = 0; t < T; t++) {
          h = gruStep(p, xAt(p.x, t), h);
          allClose(xAt(out.sequence, t), h, { atol: 1e-6 }, `h_${t}`);
        }
      });
    });

    it(`finite-difference gradients with masks (resetAfter ${resetAfter}; atol 2e-3, rtol 2e-2)`, () => {
      const p = gruInputs(resetAfter, 23);
      const masks: Partial<GruSequenceInputs> = {
        recurrentMask: tf.tensor2d([
          [2, 0],
          [2, 2],
        ]),
        candidateMask: tf.tensor2d([
          [2, 2],
          [0, 2],
        ]),
        zoneoutHidden: {
          kind: 'mask',
          mask: tf.tensor3d([
            [
              [1, 0],
              [0, 0],
            ],
            [
              [0, 1],
              [0, 0],
            ],
            [
              [0, 0],
              [1, 0],
            ],
          ]),
        },
        stepMask: tf.tensor2d([
          [1, 0, 1],
          [1, 1, 1],
        ]),
        goBackwards: true,
      };
      const weights = tf.randomNormal([B, T, H], 0, 1, 'float32', 4);
      const loss = (q: GruSequenceInputs) =>
        tf.sum(tf.mul(referenceGruSequence({ ...q, ...masks }).sequence, weights)) as tf.Scalar;
      for (const key of ['x', 'h0', 'kernel', 'recurrentKernel', 'bias'] as const) {
        checkGradient(
          (v) => loss({ ...p, [key]: v } as GruSequenceInputs),
          p[key],
          undefined,
          1e-3,
          `d/d${key}`,
        );
      }
    });
  }

  it('zoneout of ones keeps h0; a reset-after bias must be [2, 3H]', () => {
    tf.tidy(() => {
      const p = gruInputs(false);
      const out = referenceGruSequence({
        ...p,
        zoneoutHidden: { kind: 'mask', mask: tf.ones([T, B, H]) as tf.Tensor3D },
      });
      expect(Array.from(out.h.dataSync())).toEqual(Array.from(p.h0.dataSync()));
      expect(() => referenceGruSequence({ ...p, resetAfter: true })).toThrow(/bias must have shape \[2, 6\]/);
    });
  });
});
