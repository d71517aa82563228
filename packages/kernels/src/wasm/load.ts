/**
 * Entry point of the WebAssembly FusedImpl, called synchronously by ../dispatch.ts.
 * Placeholder until the WebAssembly build lands (its author replaces this body): returns null,
 * so the dispatcher falls back to the reference.
 */
import type { FusedImpl } from '../fused/impl.js';

export function loadWasmImpl(): FusedImpl | null {
  return null;
}
