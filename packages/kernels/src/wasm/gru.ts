import type { GruArgs, GruForwardResult, GruGrads } from '../fused/impl.js';
import type { WasmTape } from './frame.js';
import type { WasmRuntime } from './runtime.js';

export function gruForward(_rt: WasmRuntime, _args: GruArgs, _keepTape: boolean): GruForwardResult {
  throw new Error('todo');
}
export function gruBackward(
  _rt: WasmRuntime,
  _args: GruArgs,
  _tape: WasmTape,
  _d: Float32Array,
  _dh: Float32Array,
): GruGrads {
  throw new Error('todo');
}
