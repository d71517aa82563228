/**
 * Loads the committed WebAssembly build once per process and runs its exports on one or two
 * threads. In Node the memory is shared and a helper worker thread (worker_threads) runs half of
 * the rows; elsewhere (browsers: the main thread may not block in Atomics.wait) it runs on one
 * thread. The module is compiled once and posted to the worker, which instantiates it on the same
 * memory. With relaxed SIMD available (Node 20 needs --experimental-wasm-relaxed-simd, set here
 * before compiling), the fused-multiply-add build is used, else the plain SIMD build.
 */
import { CTRL, WORKER_SOURCE } from './worker-source.js';
import { WasmHeap } from './heap.js';

/** Exports a helper thread may run (indices are the task ids). */
export const TASKS = [
  'lstmForward',
  'lstmBackward',
  'weightGrads',
  'gruForward',
  'gruBackward',
  'gruWeightGrads',
  'gemm',
] as const;
export type TaskName = (typeof TASKS)[number];

type Exports = Record<string, (...args: number[]) => number>;

const MAX_PAGES = 32768; // 2 GiB, the maximum the build declares

interface NodeBits {
  readFile(url: URL): Uint8Array;
  setFlags(flags: string): void;
  Worker: new (code: string, opts: object) => { unref(): void; terminate(): Promise<number> };
}

let nodeBits: NodeBits | null | undefined;

/**
 * Node's fs, v8 and worker_threads, or null outside Node; looked up on first use with
 * process.getBuiltinModule (Node ≥ 20.16), which is synchronous: no top-level await, so that
 * CommonJS code can `require('regulab')` (require of an ES module fails on a top-level await), and
 * no static `node:` import, so that browsers can load this file.
 */
function nodeModules(): NodeBits | null {
  if (nodeBits === undefined) {
    const get = typeof process !== 'undefined' ? process.getBuiltinModule : undefined;
    nodeBits =
      typeof get === 'function'
        ? {
            readFile: get('node:fs').readFileSync as unknown as (u: URL) => Uint8Array,
            setFlags: get('node:v8').setFlagsFromString,
            Worker: get('node:worker_threads').Worker as unknown as NodeBits['Worker'],
          }
        : null;
  }
  return nodeBits;
}

function wasmUrl(shared: boolean, relaxed: boolean): URL {
  const name = `regulab-kernels${shared ? '-shared' : ''}${relaxed ? '-relaxed' : ''}.wasm`;
  return new URL(`../../wasm/bin/${name}`, import.meta.url);
}

export interface RuntimeOptions {
  /** Use the relaxed-SIMD build when the engine supports it (default true). */
  relaxed?: boolean;
  /** Start the helper thread (default true where possible). */
  threads?: boolean;
}

/** One instance of the kernels: memory, heap, exports and (maybe) a helper thread. */
export class WasmRuntime {
  readonly exports: Exports;
  readonly memory: WebAssembly.Memory;
  readonly heap: WasmHeap;
  readonly relaxed: boolean;
  private worker: { unref(): void; terminate(): Promise<number> } | null = null;
  private ctrl: Int32Array | null = null;
  private threadCount = 1;

  /** Use `nodeRuntime()` (Node, synchronous) or `loadWasmRuntime()` (anywhere, asynchronous). */
  constructor(module: WebAssembly.Module, relaxed: boolean, shared: boolean) {
    this.memory = new WebAssembly.Memory({
      initial: 16,
      maximum: MAX_PAGES,
      shared,
    } as WebAssembly.MemoryDescriptor);
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory, abort: wasmAbort } });
    this.exports = instance.exports as unknown as Exports;
    this.relaxed = relaxed;
    this.heap = new WasmHeap(this.memory, this.exports.heapBase(), MAX_PAGES * 65536);
    if (shared && nodeModules() !== null) this.startWorker(module);
  }

  private startWorker(module: WebAssembly.Module): void {
    const ctrl = new Int32Array(new SharedArrayBuffer(CTRL.SIZE * 4));
    const worker = new (nodeModules()!.Worker)(WORKER_SOURCE, {
      eval: true,
      workerData: { module, memory: this.memory, ctrl: ctrl.buffer, names: TASKS },
    });
    worker.unref();
    this.worker = worker;
    this.ctrl = ctrl;
    this.threadCount = 2;
  }

  /** Threads that can run a task (1 or 2). */
  maxThreads(): number {
    return this.worker === null ? 1 : 2;
  }

  threads(): number {
    return this.threadCount;
  }

  setThreads(n: number): void {
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`regulab wasm kernels: threads must be an integer ≥ 1, got ${n}`);
    this.threadCount = Math.min(n, this.maxThreads());
  }

  /**
   * Blocks until the helper thread has instantiated the module (it starts in the background);
   * false, and one thread from then on, if it has not within 30 s.
   */
  private waitReady(): boolean {
    const c = this.ctrl!;
    const t0 = Date.now();
    while (Atomics.load(c, CTRL.READY) === 0) {
      if (Date.now() - t0 > 30_000) {
        this.dispose();
        return false;
      }
      Atomics.wait(c, CTRL.READY, 0, 100);
    }
    return true;
  }

  /**
   * Runs `task` with `mine` on this thread and, when two threads are in use and `theirs` is given,
   * with `theirs` on the helper thread at the same time; returns when both are done.
   */
  run(task: TaskName, mine: number[], theirs: number[] | null): void {
    const fn = this.exports[task];
    if (theirs === null || this.threadCount < 2 || this.ctrl === null) {
      fn(...mine);
      if (theirs !== null) fn(...theirs);
      return;
    }
    const c = this.ctrl;
    if (!this.waitReady()) {
      fn(...mine);
      fn(...theirs);
      return;
    }
    c[CTRL.FN] = TASKS.indexOf(task);
    for (let i = 0; i < theirs.length; i++) c[CTRL.ARGS + i] = theirs[i];
    const seq = Atomics.add(c, CTRL.SEQ, 1) + 1;
    Atomics.notify(c, CTRL.SEQ);
    try {
      fn(...mine);
    } finally {
      for (let spin = 0; Atomics.load(c, CTRL.DONE) !== seq; spin++) {
        if (spin > 2000) Atomics.wait(c, CTRL.DONE, Atomics.load(c, CTRL.DONE), 10);
      }
    }
    if (Atomics.exchange(c, CTRL.ERROR, 0) !== 0)
      throw new Error(`regulab wasm kernels: ${task} failed on the helper thread`);
  }

  /** Stops the helper thread (the runtime keeps working on one thread). */
  dispose(): void {
    if (this.worker === null || this.ctrl === null) return;
    this.ctrl[CTRL.FN] = -1;
    Atomics.add(this.ctrl, CTRL.SEQ, 1);
    Atomics.notify(this.ctrl, CTRL.SEQ);
    void this.worker.terminate();
    this.worker = null;
    this.threadCount = 1;
  }

  /** A fresh Float32Array view of the whole memory (views go stale when the memory grows). */
  f32(): Float32Array {
    return new Float32Array(this.memory.buffer);
  }

  i32(): Int32Array {
    return new Int32Array(this.memory.buffer);
  }
}

/**
 * The runtime in Node, synchronously: shared memory and a helper thread unless `threads: false`,
 * the relaxed-SIMD build where the engine accepts it (after enabling V8's flag).
 */
export function nodeRuntime(opts: RuntimeOptions = {}): WasmRuntime {
  const node = nodeModules();
  if (node === null) throw new Error('regulab wasm kernels: nodeRuntime() needs Node; use loadWasmRuntime()');
  const shared = opts.threads !== false && typeof SharedArrayBuffer !== 'undefined';
  let relaxed = false;
  let bytes = node.readFile(wasmUrl(shared, false));
  if (opts.relaxed !== false) {
    try {
      node.setFlags('--experimental-wasm-relaxed-simd');
    } catch {
      // engines that know relaxed SIMD without a flag
    }
    const r = node.readFile(wasmUrl(shared, true));
    if (WebAssembly.validate(r as BufferSource)) {
      bytes = r;
      relaxed = true;
    }
  }
  return new WasmRuntime(new WebAssembly.Module(bytes as BufferSource), relaxed, shared);
}

/**
 * The runtime anywhere (browsers included), asynchronously: the unshared single-thread build
 * (a browser's main thread may not block in Atomics.wait), relaxed SIMD where supported. In Node
 * it is nodeRuntime().
 */
export async function loadWasmRuntime(opts: RuntimeOptions = {}): Promise<WasmRuntime> {
  if (nodeModules() !== null) return nodeRuntime(opts);
  const load = async (relaxed: boolean) =>
    new Uint8Array(await (await fetch(wasmUrl(false, relaxed))).arrayBuffer());
  if (opts.relaxed !== false) {
    const r = await load(true);
    if (WebAssembly.validate(r)) return new WasmRuntime(await WebAssembly.compile(r), true, false);
  }
  return new WasmRuntime(await WebAssembly.compile(await load(false)), false, false);
}

function wasmAbort(): never {
  throw new Error('regulab wasm kernels: abort');
}
