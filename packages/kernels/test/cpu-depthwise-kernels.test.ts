/**
 * The depthwise 2-D convolution registered for tfjs's CPU backend
 * (src/fused/cpu-depthwise-kernels.ts), on the native addon's threaded loops
 * (native/src/depthwise.cc) and on the JavaScript ones (src/fused/js-depthwise.ts, the fallback
 * and the WebAssembly build's), against tfjs's own kernels (ours uninstalled give the expected
 * values) on every padding kind (valid, same, explicit, a number with each rounding mode),
 * strides, dilations (forward only: tfjs's depthwise gradient refuses dilations > 1), channel
 * multipliers 1 to 4, and FusedDepthwiseConv2D with bias and ReLU; gradients with respect to the
 * input and the filter through tf.grads. NCHW: tfjs's CPU kernels read every input as NHWC
 * whatever the attribute says, so an NCHW call is left to tfjs's kernel (checked: no call reaches
 * ours, same result). Tolerance atol 1e-4, rtol 1e-4: sums of ≤ 3·3 (forward), ≤ 3·3·4 (input
 * gradient) or ≤ 16·12·12 (filter gradient) float32 products of O(1) values, in another order
 * than tfjs's. Also: each case really runs on the given ops (counted calls), the same bits on 1, 2
 * and 3 threads (native, inputs large enough to be split), the four kernels registered, no leaked
 * tensors, and (native) a clear error for a buffer the geometry does not fit. The checks are
 * ./conv-kernel-checks.ts's, shared with the 2-D convolution's tests.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { installCpuKernels, uninstallCpuKernels } from '../src/fused/cpu-kernels.js';
import { jsBinary, jsUnary } from '../src/fused/js-elementwise.js';
import { jsDepthwiseConv2d } from '../src/fused/js-depthwise.js';
import type { DepthwiseConv2dOps, Sgemm } from '../src/fused/impl.js';
import { loadNativeBinding } from '../src/native/binding.js';
import { nativeImpl } from '../src/native/native-impl.js';
import * as checks from './conv-kernel-checks.js';
import type { ConvCase, ConvOp } from './conv-kernel-checks.js';

const noSgemm: Sgemm = () => {
  throw new Error('no matmul in these tests');
};

const { binding, reason } = loadNativeBinding();
if (binding === null) console.warn(`native depthwise tests skipped: native addon not built (${reason})`);
const native = binding === null ? null : nativeImpl(binding);

interface Variant {
  name: string;
  ops: DepthwiseConv2dOps;
}
const variants: Variant[] = [{ name: 'JavaScript', ops: jsDepthwiseConv2d }];
if (native !== null) variants.unshift({ name: 'native', ops: native.depthwiseConv2d! });

const depthwise: ConvOp = (x, filter, c) =>
  tf.depthwiseConv2d(x, filter, c.strides, c.pad, 'NHWC', c.dilations ?? [1, 1], c.rounding);

const CASES = checks.familyCases('depthwise');

describe.each(variants)('depthwise conv2d kernels for tfjs CPU ($name)', (v) => {
  const install = () =>
    installCpuKernels(noSgemm, jsBinary, jsUnary, undefined, { depthwise: checks.counted(v.ops) });
  afterAll(() => uninstallCpuKernels());

  for (const c of CASES) it(`match tfjs: ${c.name}`, () => checks.checkCase(depthwise, c, install));

  it('leave NCHW to tfjs (its CPU kernels read NHWC whatever the attribute)', () => {
    const x = tf.randomNormal([2, 3, 8, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const filter = tf.randomNormal([3, 3, 3, 1], 0, 1, 'float32', 2) as tf.Tensor4D;
    checks.resetCalls();
    const { got, want } = checks.both(install, () => [tf.depthwiseConv2d(x, filter, 1, 'same', 'NCHW')]);
    expect(checks.calls.forward).toBe(0);
    expect(Array.from(got[0])).toEqual(Array.from(want[0]));
    tf.dispose([x, filter]);
  });

  it('match tfjs for FusedDepthwiseConv2D with bias and ReLU, forward and gradients', () =>
    checks.checkFused(
      (x, filter, bias, activation) =>
        tf.fused.depthwiseConv2d({ x, filter, bias, strides: 1, pad: 'same', activation }),
      { x: [3, 10, 10, 4], filter: [3, 3, 4, 2], outChannels: 8 },
      install,
    ));

  it.skipIf(v.name !== 'native')(
    'give the same bits on 1, 2 and 3 threads (inputs split across them)',
    () => {
      const c: ConvCase = {
        name: 'big',
        x: [8, 24, 24, 16],
        filter: [3, 3, 16, 2],
        strides: [1, 1],
        pad: 'same',
      };
      const { x, filter } = checks.caseTensors(c, 11);
      install();
      checks.checkSameBitsOnThreads(native!, () =>
        checks.read(() => checks.convAndGrads(depthwise, c, x, filter)).map((a) => Array.from(a)),
      );
      tf.dispose([x, filter]);
    },
  );

  it('are registered, and leave no tensors behind', () => {
    checks.checkRegistered(
      [
        'DepthwiseConv2dNative',
        'FusedDepthwiseConv2D',
        'DepthwiseConv2dNativeBackpropInput',
        'DepthwiseConv2dNativeBackpropFilter',
      ],
      install,
    );
    checks.checkNoLeaks(depthwise, checks.caseNamed(CASES, 'same 3×3 stride 2, multiplier 2'), install);
  });

  it.skipIf(v.name !== 'native')('refuse a buffer the geometry does not fit, naming both sizes', () => {
    const g = checks.smallGeometry(2, 4);
    expect(() => v.ops.forward(g, new Float32Array(32), new Float32Array(36), new Float32Array(3))).toThrow(
      /depthwise2d: buffer 2 holds 3 floats, the geometry needs 16/,
    );
    expect(() =>
      v.ops.forward(
        { ...g, outChannels: 3 },
        new Float32Array(32),
        new Float32Array(27),
        new Float32Array(12),
      ),
    ).toThrow(/depthwise2d: outChannels 3 is not a multiple of inChannels 2/);
  });
});
