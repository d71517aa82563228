/**
 * One instance of the WebAssembly kernels (memory, heap, exports) and its optional helper thread,
 * the same in Node and browsers: the platform module (#platform: ../platform/node.ts or
 * ../platform/browser.ts) compiles the module and starts the helper thread its own way. With shared
 * memory a helper thread runs half of the rows of each task; it is used once it reports ready.
 * Where this thread may block (Node, a Web Worker) it waits for the helper in Atomics.wait; on a
 * browser's main thread, where Atomics.wait is refused, it spins.
 */
import { CTRL } from './worker-source.js';
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
  'lstmNormForward',
  'lstmNormBackward',
  'normGrads',
  'gruNormForward',
  'gruNormBackward',
  'gruNormWeightGrads',
  'gruNormGrads',
] as const;
export type TaskName = (typeof TASKS)[number];

type Exports = Record<string, (...args: number[]) => number>;

const MAX_PAGES = 32768; // 2 GiB, the maximum the build declares

export interface RuntimeOptions {
  /** Use the relaxed-SIMD build when the engine supports it (default true). */
  relaxed?: boolean;
  /** Start the helper thread (default true where possible). */
  threads?: boolean;
}

/** What a helper thread is given: the compiled module, the shared memory, the control block. */
export interface HelperData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  ctrl: SharedArrayBuffer;
  names: readonly string[];
}

/** A started helper thread, as the platform made it. */
export interface HelperThread {
  /** Settles true once the thread has instantiated the module, false if it failed to. */
  readonly started: Promise<boolean>;
  terminate(): void;
}

/** Starts a helper thread on `data` (Node: worker_threads; browsers: a Worker from a Blob URL). */
export type StartHelper = (data: HelperData) => HelperThread;

export class WasmRuntime {
  readonly exports: Exports;
  readonly memory: WebAssembly.Memory;
  readonly heap: WasmHeap;
  private helper: HelperThread | null = null;
  private ctrl: Int32Array | null = null;
  private threadCount = 1;

  /**
   * `module` is one of the builds of ./bytes.ts; `shared` says whether it is a shared-memory build
   * and `startHelper` starts its helper thread (null: one thread). `canBlock`: whether this thread
   * may wait in Atomics.wait.
   */
  constructor(
    module: WebAssembly.Module,
    readonly relaxed: boolean,
    shared: boolean,
    private readonly canBlock: boolean,
    startHelper: StartHelper | null,
  ) {
    this.memory = new WebAssembly.Memory({
      initial: 16,
      maximum: MAX_PAGES,
      shared,
    } as WebAssembly.MemoryDescriptor);
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory, abort: wasmAbort } });
    this.exports = instance.exports as unknown as Exports;
    this.heap = new WasmHeap(this.memory, this.exports.heapBase(), MAX_PAGES * 65536);
    if (shared && startHelper !== null) {
      const ctrl = new SharedArrayBuffer(CTRL.SIZE * 4);
      this.helper = startHelper({ module, memory: this.memory, ctrl, names: TASKS });
      this.ctrl = new Int32Array(ctrl);
      this.threadCount = 2;
      void this.helper.started.then((ok) => ok || this.dispose());
    }
  }

  /** Settles once the helper thread (if any) is running or has failed: the threads that will run. */
  async started(): Promise<number> {
    if (this.helper !== null) await this.helper.started;
    return this.maxThreads();
  }

  /** Threads that can run a task (1 or 2). */
  maxThreads(): number {
    return this.helper === null ? 1 : 2;
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
   * Whether the helper thread has instantiated the module. Where this thread may block, waits for
   * it (it starts in the background): false, and one thread from then on, if it has not within
   * 30 s. Elsewhere it answers at once (the call runs on this thread until the helper is ready).
   */
  private helperReady(): boolean {
    const c = this.ctrl!;
    if (!this.canBlock) return Atomics.load(c, CTRL.READY) !== 0;
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
    if (theirs === null || this.threadCount < 2 || this.ctrl === null || !this.helperReady()) {
      fn(...mine);
      if (theirs !== null) fn(...theirs);
      return;
    }
    const c = this.ctrl;
    c[CTRL.FN] = TASKS.indexOf(task);
    for (let i = 0; i < theirs.length; i++) c[CTRL.ARGS + i] = theirs[i];
    const seq = Atomics.add(c, CTRL.SEQ, 1) + 1;
    Atomics.notify(c, CTRL.SEQ);
    try {
      fn(...mine);
    } finally {
      for (let spin = 0; Atomics.load(c, CTRL.DONE) !== seq; spin++) {
        if (this.canBlock && spin > 2000) Atomics.wait(c, CTRL.DONE, Atomics.load(c, CTRL.DONE), 10);
      }
    }
    if (Atomics.exchange(c, CTRL.ERROR, 0) !== 0)
      throw new Error(`regulab wasm kernels: ${task} failed on the helper thread`);
  }

  /** Stops the helper thread (the runtime keeps working on one thread). */
  dispose(): void {
    if (this.helper === null || this.ctrl === null) return;
    this.ctrl[CTRL.FN] = -1;
    Atomics.add(this.ctrl, CTRL.SEQ, 1);
    Atomics.notify(this.ctrl, CTRL.SEQ);
    this.helper.terminate();
    this.helper = null;
    this.ctrl = null;
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

function wasmAbort(): never {
  throw new Error('regulab wasm kernels: abort');
}
