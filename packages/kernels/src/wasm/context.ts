/**
 * The call context the WebAssembly kernels read, as the loader writes it: field numbers and size
 * from the boundary's one declaration (../fused/abi.ts, from which wasm/assembly/abi.ts is
 * generated), and the padding of unit rows.
 */
import { WASM_CONTEXT_FIELDS, WASM_FIELD } from '../fused/abi.js';

/** Field number of each context entry (WASM_CONTEXT of ../fused/abi.ts). */
export const F = WASM_FIELD;

/** Bytes of the context block. */
export const CONTEXT_BYTES = WASM_CONTEXT_FIELDS * 4;

/** Units padded to whole 8-float panels. */
export function pad8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
