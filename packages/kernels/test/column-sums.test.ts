/**
 * Sums over leading axes (src/fused/cpu-data-kernels.ts's Sum, by a ColumnSums: the native
 * addon's threaded strips or ./js-elementwise.ts's loop), the bias gradients of dense and
 * convolution layers:
 * - structural: the kernel's shapes with and without keepDims, and its fallback to tfjs for
 *   non-leading axes;
 * - exact: native and JavaScript give the same bits (both sum each column in float32, in row
 *   order, from 0), for widths around the native 16-column strip (1, 15, 16, 17, 33, 64, 130);
 * - statistical: within 1e-5 relative of the float64 sum of the same values (row counts up to
 *   3,000 of values in [−1, 1): float32 rounding over n additions stays near n·2⁻²⁴ of the total
 *   magnitude; the bound is the sum of |x| times 3,000·2⁻²⁴ ≈ 1.8e-4 relative, and in practice
 *   ~1e-6);
 * - threads: the same bits on 1, 2 and 3 native threads (threads take whole strips);
 * - against tfjs (which sums in float64): within the bound above; no tensors leaked;
 * - errors: sizes that do not fit are refused, naming them.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { installCpuKernels, uninstallCpuKernels } from '../src/fused/cpu-kernels.js';
import type { ColumnSums, Sgemm } from '../src/fused/impl.js';
import { jsBinary, jsColumnSums, jsUnary } from '../src/fused/js-elementwise.js';
import { loadNativeBinding } from '../src/native/binding.js';
import { nativeImpl } from '../src/native/native-impl.js';

const { binding } = loadNativeBinding();
const native = binding === null ? null : nativeImpl(binding).columnSums!;
const noSgemm: Sgemm = () => {
  throw new Error('no matmul in these tests');
};
const WIDTHS = [1, 15, 16, 17, 33, 64, 130];

/** rows × width values in [−1, 1) from a fixed linear congruential sequence. */
function values(rows: number, width: number, seed: number): Float32Array {
  const x = new Float32Array(rows * width);
  let s = seed >>> 0;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 2 ** 31 - 1;
  }
  return x;
}

/** The float32 rounding bound of n additions of values |x| < 1 (their magnitude is below n). */
const roundingBound = (n: number) => n * n * 2 ** -24;
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.slice().buffer));

describe('column sums (Sum over leading axes)', () => {
  afterAll(() => uninstallCpuKernels());

  it('JavaScript stays within the float32 rounding bound of the float64 sums', () => {
    for (const width of WIDTHS) {
      const rows = 3000;
      const x = values(rows, width, width);
      const out = new Float32Array(width);
      jsColumnSums(x, rows, width, out);
      for (let j = 0; j < width; j++) {
        let exact = 0;
        let magnitude = 0;
        for (let r = 0; r < rows; r++) {
          exact += x[r * width + j];
          magnitude += Math.abs(x[r * width + j]);
        }
        expect(Math.abs(out[j] - exact)).toBeLessThanOrEqual(magnitude * rows * 2 ** -24);
        expect(Math.abs(out[j] - exact)).toBeLessThanOrEqual(roundingBound(rows));
      }
    }
  });

  it.skipIf(native === null)('native gives the JavaScript bits at every width, on 1, 2 and 3 threads', () => {
    const before = binding!.threads();
    try {
      for (const width of WIDTHS)
        for (const rows of [1, 7, 5000]) {
          const x = values(rows, width, rows + width);
          const want = new Float32Array(width);
          jsColumnSums(x, rows, width, want);
          for (const threads of [1, 2, 3]) {
            binding!.setThreads(threads);
            const got = new Float32Array(width).fill(NaN); // every column is written
            native!(x, rows, width, got);
            expect(bits(got), `width ${width}, rows ${rows}, ${threads} threads`).toEqual(bits(want));
          }
        }
    } finally {
      binding!.setThreads(before);
    }
  });

  it.skipIf(native === null)('native refuses sizes that do not fit, naming them', () => {
    expect(() => native!(new Float32Array(10), 3, 4, new Float32Array(4))).toThrow(
      /columnSums: 3 rows of 4 do not fit x \(10\) and out \(4\)/,
    );
    expect(() => native!(new Float32Array(12), 3, 4, new Float32Array(3))).toThrow(/do not fit/);
  });

  const variants: { name: string; sums: ColumnSums }[] = [{ name: 'plain JS', sums: jsColumnSums }];
  if (native !== null) variants.push({ name: 'native', sums: native });
  for (const v of variants)
    it(`the Sum kernel serves leading axes with tfjs's shapes and values, and falls back otherwise (${v.name})`, () => {
      const m = tf.tensor3d(values(40, 30 * 17, 9), [40, 30, 17]);
      const run = () =>
        tf.tidy(() =>
          [
            tf.sum(m, [0, 1]),
            tf.sum(m, 0, true),
            tf.sum(m, [1, 0], true),
            tf.sum(m, -1),
            tf.sum(m, [0, 2]),
          ].map((t) => ({ shape: t.shape, values: Float32Array.from(t.dataSync()) })),
        );
      uninstallCpuKernels();
      const want = run();
      installCpuKernels(noSgemm, jsBinary, jsUnary, undefined, { columnSums: v.sums });
      const before = tf.memory().numTensors;
      const got = run();
      expect(tf.memory().numTensors).toBe(before);
      expect(got.map((g) => g.shape)).toEqual([[17], [1, 30, 17], [1, 1, 17], [40, 30], [30]]);
      got.forEach((g, i) => {
        expect(g.shape).toEqual(want[i].shape);
        for (let j = 0; j < g.values.length; j++)
          expect(Math.abs(g.values[j] - want[i].values[j])).toBeLessThanOrEqual(roundingBound(1200));
      });
      m.dispose();
    });
});
