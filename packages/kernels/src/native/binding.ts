/**
 * Loads the native addon (packages/kernels/binding.gyp, C++ sources in native/src) through
 * node-gyp-build, the usual prebuild-or-build loader: a prebuild under prebuilds/ if one matches,
 * else the node-gyp build in build/Release. Returns null (with the reason) when neither exists or
 * the addon fails to load, so callers fall back instead of failing.
 */
import { createRequire } from 'node:module';
import type { OptimizerUpdate } from '../fused/impl.js';
import { fileURLToPath } from 'node:url';

/** The raw addon (see native/src/addon.cc for the argument layout). */
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
  unary(op: number, x: Float32Array, out: Float32Array): void;
  optimizerUpdate: OptimizerUpdate;
  setThreads(n: number): void;
  threads(): number;
  isa(): string;
  setIsa(name: string): boolean;
}

let cached: { binding: NativeBinding | null; reason: string } | undefined;

/** The addon, or null and why not. Loaded once per process. */
export function loadNativeBinding(): { binding: NativeBinding | null; reason: string } {
  if (cached) return cached;
  try {
    const require = createRequire(import.meta.url);
    const load = require('node-gyp-build') as (dir: string) => unknown;
    // src/native/ and dist/native/ are both two levels below the package root.
    const root = fileURLToPath(new URL('../../', import.meta.url));
    cached = { binding: load(root) as NativeBinding, reason: '' };
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
    cached = { binding: null, reason: msg };
  }
  return cached;
}
