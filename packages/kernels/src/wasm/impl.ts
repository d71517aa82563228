/**
 * The WebAssembly SIMD backend of the fused recurrent ops (FusedImpl of ../fused/impl.ts):
 * whole-sequence LSTM and GRU forward and backward through time, every option inside the kernel,
 * on one or two threads. `wasmImpl()` returns the process-wide instance (compiled once).
 */
import type { FusedImpl, GruArgs, LstmArgs, FusedTape } from '../fused/impl.js';
import { WasmTape } from './frame.js';
import { gruBackward, gruForward } from './gru.js';
import { lstmBackward, lstmForward } from './lstm.js';
import { platform } from '#platform';
import type { RuntimeOptions, WasmRuntime } from './runtime.js';
import { sgemm } from './sgemm.js';

function asTape(op: string, tape: FusedTape): WasmTape {
  if (!(tape instanceof WasmTape)) throw new Error(`${op}: the tape was not made by the wasm impl`);
  return tape;
}

export class WasmImpl implements FusedImpl {
  readonly name = 'wasm' as const;
  /** Layer norm and recurrent batch norm inside the LSTM and the GRU (wasm/assembly/lstm-norm.ts, gru-norm.ts). */
  readonly normalization = true;

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
    out?: Float32Array,
  ) => sgemm(this.runtime, a, b, m, k, n, transA, transB, out);

  setThreads(n: number): void {
    this.runtime.setThreads(n);
  }

  threads(): number {
    return this.runtime.threads();
  }

  /** Settles once the helper thread, if any, runs (or has failed: one thread then). */
  async ready(): Promise<void> {
    await this.runtime.started();
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
 * if set, else 2 where shared memory and a helper thread exist (Node; cross-origin-isolated pages).
 */
export function wasmImpl(): WasmImpl {
  if (shared === null) {
    shared = new WasmImpl(platform.createWasmRuntime());
    const env = platform.env('REGULAB_THREADS');
    if (env !== undefined && env !== '') shared.setThreads(Number(env));
  }
  return shared;
}

/** A separate instance (own memory and helper thread), e.g. to compare builds in tests. */
export function createWasmImpl(opts: RuntimeOptions = {}): WasmImpl {
  return new WasmImpl(platform.createWasmRuntime(opts));
}

/** A separate instance, compiled asynchronously (as browsers prefer), its helper thread running. */
export async function loadWasmImpl(opts: RuntimeOptions = {}): Promise<WasmImpl> {
  await platform.prepareWasm(opts);
  const impl = new WasmImpl(platform.createWasmRuntime(opts));
  await impl.ready();
  return impl;
}
