/**
 * The browser platform (#platform without the `node` condition; any engine without Node's
 * modules): no environment variables, no native addon, `navigator.hardwareConcurrency` cores.
 * The WebAssembly kernels use shared memory and a helper Web Worker (started from a Blob URL, so
 * no file to serve) when the page is cross-origin isolated (COOP same-origin + COEP require-corp:
 * SharedArrayBuffer exists), else one thread. Modules are compiled by prepareWasm (asynchronous,
 * as a browser's main thread prefers) or, failing that, synchronously on first use.
 */
import { wasmBytes } from '../wasm/bytes.js';
import { type HelperData, type HelperThread, type RuntimeOptions, WasmRuntime } from '../wasm/runtime.js';
import { BROWSER_WORKER_SOURCE } from '../wasm/worker-source.js';
import type { Platform } from './types.js';

/** Compiled modules by variant ("shared/relaxed"), from prepareWasm or a first synchronous use. */
const compiled = new Map<string, { module: WebAssembly.Module; relaxed: boolean }>();

/** Whether threads are possible: a cross-origin-isolated page or worker that can start Workers. */
function canShare(opts: RuntimeOptions): boolean {
  const g = globalThis as { crossOriginIsolated?: boolean };
  return (
    opts.threads !== false &&
    g.crossOriginIsolated === true &&
    typeof SharedArrayBuffer !== 'undefined' &&
    typeof Worker !== 'undefined'
  );
}

/** The variant to use: relaxed SIMD where the engine validates it (Chromium ≥ 114) unless refused. */
function variant(opts: RuntimeOptions): { shared: boolean; relaxed: boolean; key: string } {
  const shared = canShare(opts);
  const relaxed = opts.relaxed !== false && WebAssembly.validate(wasmBytes(shared, true));
  return { shared, relaxed, key: `${shared}/${relaxed}` };
}

function startHelper(data: HelperData): HelperThread {
  const url = URL.createObjectURL(new Blob([BROWSER_WORKER_SOURCE], { type: 'text/javascript' }));
  const worker = new Worker(url);
  const started = new Promise<boolean>((resolve) => {
    worker.onmessage = () => resolve(true);
    worker.onerror = () => resolve(false);
  }).finally(() => URL.revokeObjectURL(url));
  worker.postMessage(data);
  return { started, terminate: () => worker.terminate() };
}

/** Atomics.wait is refused on a page's main thread; a Web Worker (no document) may block. */
const canBlock = typeof (globalThis as { document?: unknown }).document === 'undefined';

export const platform: Platform = {
  name: 'browser',
  env: () => undefined,
  defaultThreads: () => (typeof navigator !== 'undefined' ? navigator.hardwareConcurrency : 0) || 1,
  loadNativeBinding: () => ({ binding: null, reason: 'the native kernels need Node' }),
  async prepareWasm(opts = {}) {
    const v = variant(opts);
    if (compiled.has(v.key)) return;
    const module = await WebAssembly.compile(wasmBytes(v.shared, v.relaxed));
    compiled.set(v.key, { module, relaxed: v.relaxed });
  },
  createWasmRuntime(opts = {}) {
    const v = variant(opts);
    let c = compiled.get(v.key);
    if (c === undefined) {
      c = { module: new WebAssembly.Module(wasmBytes(v.shared, v.relaxed)), relaxed: v.relaxed };
      compiled.set(v.key, c);
    }
    return new WasmRuntime(c.module, c.relaxed, v.shared, canBlock, v.shared ? startHelper : null);
  },
};
