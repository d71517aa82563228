/**
 * The WebAssembly SIMD backend of the fused recurrent ops (FusedImpl of ../fused/impl.ts):
 * whole-sequence LSTM and GRU forward and backward through time, every option inside the kernel,
 * on one or two threads. `wasmImpl()` returns the process-wide instance (compiled once).
 */
import type { FusedImpl, GruArgs, LstmArgs, FusedTape } from '../fused/impl.js';
import { WasmTape } from './frame.js';
import { gruBackward, gruForward } from './gru.js';
import { lstmBackward, lstmForward } from './lstm.js';
import { loadWasmRuntime, nodeRuntime, type RuntimeOptions, type WasmRuntime } from './runtime.js';
import { sgemm } from './sgemm.js';

function asTape(op: string, tape: FusedTape): WasmTape {
  if (!(tape instanceof WasmTape)) throw new Error(`${op}: the tape was not made by the wasm impl`);
  return tape;
}

export class WasmImpl implements FusedImpl {
  readonly name = 'wasm' as const;

  constructor(readonly runtime: WasmRuntime) {}

  lstmForward(args: LstmArgs, keepTape: boolean) {
    return lstmForward(this.runtime, args, keepTape);
  }

  lstmBackward(args: LstmArgs, tape: FusedTape, dSequence: Float32Array, dh: Float32Array, dc: Float32Array) {
    return lstmBackward(this.runtime, args, asTape('lstmBackward', tape), dSequence, dh, dc);
  }

  gruForward(args: GruArgs, keepTape: boolean) {
    return gruForward(this.runtime, args, keepTape);
  }

  gruBackward(args: GruArgs, tape: FusedTape, dSequence: Float32Array, dh: Float32Array) {
    return gruBackward(this.runtime, args, asTape('gruBackward', tape), dSequence, dh);
  }

  /** C = op(A)·op(B) (see ./sgemm.ts). */
  sgemm = (
    a: Float32Array,
    b: Float32Array,
    m: number,
    k: number,
    n: number,
    transA: boolean,
    transB: boolean,
  ) => sgemm(this.runtime, a, b, m, k, n, transA, transB);

  setThreads(n: number): void {
    this.runtime.setThreads(n);
  }

  threads(): number {
    return this.runtime.threads();
  }

  describe(): string {
    const t = this.runtime.threads();
    return `wasm simd128${this.runtime.relaxed ? '+relaxed' : ''}, ${t} thread${t === 1 ? '' : 's'}`;
  }

  /** Bytes of WebAssembly memory held by calls and tapes (0 when nothing is in flight). */
  bytesInUse(): number {
    return this.runtime.heap.bytesInUse();
  }

  /** Stops the helper thread; the impl keeps working on one thread. */
  dispose(): void {
    this.runtime.dispose();
  }
}

let shared: WasmImpl | null = null;

/**
 * The process-wide WebAssembly impl (compiled and started on first use). Threads: REGULAB_THREADS
 * if set, else 2 where shared memory and worker threads exist.
 */
export function wasmImpl(): WasmImpl {
  if (shared === null) {
    shared = new WasmImpl(nodeRuntime());
    const env = typeof process !== 'undefined' ? process.env.REGULAB_THREADS : undefined;
    if (env !== undefined && env !== '') shared.setThreads(Number(env));
  }
  return shared;
}

/** A separate instance (own memory and helper thread), e.g. to compare builds in tests. */
export function createWasmImpl(opts: RuntimeOptions = {}): WasmImpl {
  return new WasmImpl(nodeRuntime(opts));
}

/** The impl anywhere, browsers included (one thread there): see loadWasmRuntime. */
export async function loadWasmImpl(opts: RuntimeOptions = {}): Promise<WasmImpl> {
  return new WasmImpl(await loadWasmRuntime(opts));
}
