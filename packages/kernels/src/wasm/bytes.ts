/**
 * The bytes of one build variant of the WebAssembly kernels, decoded from the base64 that
 * ./binaries.ts embeds (generated from wasm/bin by wasm/embed.mjs): no file, URL or asset loader,
 * so the same code runs in Node and in any bundle. Variants: shared memory (threads) or not,
 * relaxed SIMD (fused multiply-add) or plain SIMD.
 */
import { WASM_BASE64 } from './binaries.js';

export function wasmBytes(shared: boolean, relaxed: boolean): Uint8Array<ArrayBuffer> {
  const key = shared ? (relaxed ? 'sharedRelaxed' : 'shared') : relaxed ? 'relaxed' : 'plain';
  const text = atob(WASM_BASE64[key]);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
