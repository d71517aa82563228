/**
 * What the kernels need from the JavaScript platform, declared once: Node (./node.ts: process.env,
 * the native addon, worker_threads) or a browser (./browser.ts: no environment, no addon, Web
 * Workers). The package.json `imports` map picks one for `#platform` by the `node` condition, so a
 * browser bundle never sees a `node:` module or `process`.
 */
import type { NativeBinding } from '../native/binding.js';
import type { RuntimeOptions, WasmRuntime } from '../wasm/runtime.js';

export interface Platform {
  readonly name: 'node' | 'browser';
  /** A setting from the environment (REGULAB_KERNELS, ...): process.env in Node, none in browsers. */
  env(name: string): string | undefined;
  /** Threads the fast kernels use unless told otherwise (the cores this process may use). */
  defaultThreads(): number;
  /** The native addon, or null and why (always null in browsers). */
  loadNativeBinding(): { binding: NativeBinding | null; reason: string };
  /**
   * Gets ready what createWasmRuntime(opts) needs that only an asynchronous call can give
   * (browsers: compiles the module off the main thread). Optional before createWasmRuntime.
   */
  prepareWasm(opts?: RuntimeOptions): Promise<void>;
  /**
   * A new instance of the WebAssembly kernels: shared memory and a helper thread where the
   * platform allows them (Node; a cross-origin-isolated page) unless `threads: false`, the
   * relaxed-SIMD build where the engine accepts it unless `relaxed: false`.
   */
  createWasmRuntime(opts?: RuntimeOptions): WasmRuntime;
}
