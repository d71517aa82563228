/**
 * The Node platform (#platform under the `node` condition): environment variables, all cores,
 * the native addon (../native/binding.ts), and a worker_threads helper thread for the WebAssembly
 * kernels, which are compiled synchronously (after enabling V8's relaxed-SIMD flag, needed by
 * Node 20).
 */
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { loadNativeBinding } from '../native/binding.js';
import { wasmBytes } from '../wasm/bytes.js';
import { type HelperData, type HelperThread, type RuntimeOptions, WasmRuntime } from '../wasm/runtime.js';
import { NODE_WORKER_SOURCE } from '../wasm/worker-source.js';
import type { Platform } from './types.js';

function startHelper(data: HelperData): HelperThread {
  const worker = new Worker(NODE_WORKER_SOURCE, { eval: true, workerData: data });
  worker.unref();
  const started = new Promise<boolean>((resolve) => {
    worker.once('message', () => resolve(true));
    worker.once('error', () => resolve(false));
    worker.once('exit', () => resolve(false));
  });
  return { started, terminate: () => void worker.terminate() };
}

function createWasmRuntime(opts: RuntimeOptions = {}): WasmRuntime {
  const shared = opts.threads !== false && typeof SharedArrayBuffer !== 'undefined';
  let relaxed = false;
  let bytes = wasmBytes(shared, false);
  if (opts.relaxed !== false) {
    try {
      setFlagsFromString('--experimental-wasm-relaxed-simd');
    } catch {
      // engines that know relaxed SIMD without a flag
    }
    const r = wasmBytes(shared, true);
    if (WebAssembly.validate(r)) {
      bytes = r;
      relaxed = true;
    }
  }
  return new WasmRuntime(new WebAssembly.Module(bytes), relaxed, shared, true, shared ? startHelper : null);
}

export const platform: Platform = {
  name: 'node',
  env: (name) => process.env[name],
  defaultThreads: () => availableParallelism(),
  loadNativeBinding,
  prepareWasm: async () => {},
  createWasmRuntime,
};
