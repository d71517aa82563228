/**
 * Loads the native addon (packages/kernels/binding.gyp, C++ sources in native/src) through
 * node-gyp-build, the usual prebuild-or-build loader: a prebuild under prebuilds/ if one matches,
 * else the node-gyp build in build/Release. Returns null (with the reason) when neither exists, the
 * addon fails to load, or it was compiled against another argument layout than src/fused/abi.ts
 * declares (a stale build), so callers fall back instead of failing or misreading arguments.
 */
import { createRequire } from 'node:module';
import type { OptimizerUpdate } from '../fused/impl.js';
import { fileURLToPath } from 'node:url';
import { nativeLayoutHash } from './layout-hash.js';

/** The raw addon (argument layout: src/fused/abi.ts; C++ side: native/src/addon.cc). */
export interface NativeBinding {
  lstmForward(ints: Int32Array, floats: Float64Array, bufs: (Float32Array | null)[]): void;
  lstmBackward(ints: Int32Array, floats: Float64Array, bufs: (Float32Array | null)[]): void;
  gruForward(ints: Int32Array, floats: Float64Array, bufs: (Float32Array | null)[]): void;
  gruBackward(ints: Int32Array, floats: Float64Array, bufs: (Float32Array | null)[]): void;
  sgemm(
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    m: number,
    k: number,
    n: number,
    ta: boolean,
    tb: boolean,
  ): void;
  binary(op: number, mode: number, a: Float32Array, b: Float32Array, out: Float32Array, m: number): void;
  columnSums(x: Float32Array, rows: number, width: number, out: Float32Array): void;
  uniformMask(state: Float64Array, keep: number, value: number, out: Float32Array): void;
  unary(op: number, x: Float32Array, out: Float32Array): void;
  /** The Conv2dOps of ../fused/impl.ts; ints: the geometry in CONV_INTS slots. */
  conv2dForward(ints: Int32Array, x: Float32Array, filter: Float32Array, y: Float32Array): void;
  conv2dBackpropInput(ints: Int32Array, dy: Float32Array, filter: Float32Array, dx: Float32Array): void;
  conv2dBackpropFilter(ints: Int32Array, x: Float32Array, dy: Float32Array, dfilter: Float32Array): void;
  /** Pool2dOps of ../fused/impl.ts: op POOL_OP, ints CONV_INTS (outChannels = inChannels), b null where unread. */
  pool2d(op: number, ints: Int32Array, a: Float32Array, b: Float32Array | null, out: Float32Array): void;
  /** DepthwiseConv2dOps of ../fused/impl.ts: op DEPTHWISE_OP, ints CONV_INTS (outChannels = C·M). */
  depthwise2d(op: number, ints: Int32Array, a: Float32Array, b: Float32Array, out: Float32Array): void;
  optimizerUpdate: OptimizerUpdate;
  setThreads(n: number): void;
  threads(): number;
  isa(): string;
  setIsa(name: string): boolean;
  /** The layout hash compiled in (native/src/abi.h): nativeLayoutHash() of the sources built. */
  abi(): string;
}

let cached: { binding: NativeBinding | null; reason: string } | undefined;

/**
 * The loaded addon if it was compiled against the argument layout of these sources (its `abi()`
 * is nativeLayoutHash()), else null and why: an addon built from older sources would misread
 * its arguments.
 */
export function checkLayout(addon: Partial<NativeBinding>): {
  binding: NativeBinding | null;
  reason: string;
} {
  const built = typeof addon.abi === 'function' ? addon.abi() : 'none';
  if (built === nativeLayoutHash()) return { binding: addon as NativeBinding, reason: '' };
  return {
    binding: null,
    reason:
      `the native addon was built against another argument layout (${built}, sources ` +
      `${nativeLayoutHash()}): rebuild it with npm run build:native -w packages/kernels`,
  };
}

/** The addon, or null and why not. Loaded once per process. */
export function loadNativeBinding(): { binding: NativeBinding | null; reason: string } {
  if (cached) return cached;
  try {
    const require = createRequire(import.meta.url);
    const load = require('node-gyp-build') as (dir: string) => unknown;
    // src/native/ and dist/native/ are both two levels below the package root.
    const root = fileURLToPath(new URL('../../', import.meta.url));
    cached = checkLayout(load(root) as Partial<NativeBinding>);
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
    cached = { binding: null, reason: msg };
  }
  return cached;
}
