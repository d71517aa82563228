/**
 * Identifies the native argument layout (NATIVE_LAYOUT of ../fused/abi.ts): the first 16 hex
 * digits of the SHA-256 of its JSON. The generated header native/src/abi.h carries it and the
 * addon reports it (`abi()`), so the loader can refuse an addon compiled against another layout
 * (a build left over from older sources) instead of misreading its arguments.
 */
import { createHash } from 'node:crypto';
import { NATIVE_LAYOUT } from '../fused/abi.js';

export function nativeLayoutHash(): string {
  return createHash('sha256').update(JSON.stringify(NATIVE_LAYOUT)).digest('hex').slice(0, 16);
}
