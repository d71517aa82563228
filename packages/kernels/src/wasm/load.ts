/**
 * Entry point of the WebAssembly FusedImpl, called synchronously by ../dispatch.ts: the
 * process-wide instance of ./impl.ts (compiled once; a helper thread where shared memory and
 * worker threads exist).
 */
import type { FusedImpl } from '../fused/impl.js';
import { wasmImpl } from './impl.js';

export function loadWasmImpl(): FusedImpl | null {
  return wasmImpl();
}
