/**
 * Float32Arrays for the outputs of Regulab's kernels on tfjs's CPU backend, reused once tfjs has
 * freed the tensor that held them, so that a training step does not ask the engine for megabytes
 * of fresh memory each time.
 *
 * Why: in Chromium a fresh ArrayBuffer is fresh pages (its allocator returns freed ones to the
 * system), and first-touch page faults are dear, on virtual machines above all. The same 73
 * allocations (12.5 MiB) as one charlm-step, allocated, filled and dropped: 127 ms in headless
 * Chromium on the 2-core VM of BENCHMARKS.md (load ~13), 0.8 ms with the arrays reused, 5–10 ms in
 * Node. In Node the cost is V8's garbage collector: megabytes of fresh external memory per step
 * start a full mark-compact every step or two, whose marking thread then competes with the
 * kernels' threads for the cores (cnn-step, 2 cores: 41–43 ms per step with fresh arrays, 24–30 ms
 * reusing them; BENCHMARKS.md). On by default everywhere; `recycleOutputs(on)` switches.
 *
 * An array is reused only when all of these hold, so nothing else can still see it:
 * - it came from takeF32 and became the values of exactly one tensor of a watched CPU backend
 *   (tfjs's `write`, which makeTensorInfo and tf.tensor go through);
 * - no other tensor's values were ever that array or a view of its buffer (tfjs's Slice returns
 *   subarrays of its input);
 * - it was never read out through the backend's readSync / read (dataSync, data, arraySync:
 *   on the CPU backend they return the storage itself, which the caller may keep);
 * - the backend then deleted that data (disposeData with the last reference gone).
 * A reused array comes back zero-filled, as `new Float32Array(n)` would, unless the kernel says it
 * writes every element.
 */
import * as tf from '@tensorflow/tfjs';
import { BufferPool } from '../native/buffer-pool.js';

/** Arrays smaller than this are left to the engine (its small-object allocation is cheap). */
const MIN_FLOATS = 1024;
/** Most bytes held for reuse: about the working set of a few training steps of the models here. */
const MAX_HELD_BYTES = 256 * 2 ** 20;

/** What is watched of tfjs's CPU backend (its typings keep these private). */
export interface WatchableBackend {
  write(values: unknown, shape: number[], dtype: tf.DataType): object;
  readSync(dataId: object): unknown;
  read(dataId: object): Promise<unknown>;
  disposeData(dataId: object, force?: boolean): boolean;
  data: { get(dataId: object): { values?: unknown } | undefined; has(dataId: object): boolean };
}

let enabled: boolean | undefined;
let pool = new BufferPool(MAX_HELD_BYTES);
/** Handed out by takeF32 and not yet the values of a tensor. */
const taken = new WeakSet<Float32Array>();
/** Buffers held by exactly one tensor as exactly this array, never read out: reusable once freed. */
const owned = new WeakMap<ArrayBufferLike, Float32Array>();
const watched = new WeakSet<object>();

/**
 * A zero-filled Float32Array of n floats for a kernel's output (a reused one when possible).
 * `zero = false` for a caller that writes every element: a reused array then keeps its stale
 * contents (a memset of the whole output saved; a fresh array is zero either way).
 */
export function takeF32(n: number, zero = true): Float32Array {
  if (!recycleOutputs() || n < MIN_FLOATS) return new Float32Array(n);
  const cpu = tf.findBackend('cpu') as unknown as WatchableBackend | null;
  if (cpu !== null) watchCpuBackend(cpu);
  const a = pool.take(n);
  if (zero) a.fill(0);
  taken.add(a);
  return a;
}

function bufferOf(v: unknown): ArrayBufferLike | null {
  return ArrayBuffer.isView(v) ? v.buffer : null;
}

/** The values of dataId no longer belong to us alone: never reuse them. */
function escape(backend: WatchableBackend, dataId: object): void {
  const buffer = bufferOf(backend.data.get(dataId)?.values);
  if (buffer !== null) owned.delete(buffer);
}

/**
 * Starts following `backend` (tfjs's CPU backend instance, idempotent): which arrays become
 * tensors, are read out, and are freed.
 */
function watchCpuBackend(backend: WatchableBackend): void {
  if (watched.has(backend)) return;
  watched.add(backend);
  const { write, readSync, read, disposeData } = backend;
  backend.write = function (values, shape, dtype) {
    const buffer = bufferOf(values);
    if (buffer !== null) {
      if (owned.has(buffer))
        owned.delete(buffer); // a second tensor sees this storage
      else if (values instanceof Float32Array && taken.delete(values)) owned.set(buffer, values);
    }
    return write.call(this, values, shape, dtype);
  };
  backend.readSync = function (dataId) {
    escape(this, dataId);
    return readSync.call(this, dataId);
  };
  backend.read = function (dataId) {
    escape(this, dataId);
    return read.call(this, dataId);
  };
  backend.disposeData = function (dataId, force) {
    const values = this.data.get(dataId)?.values;
    const done = disposeData.call(this, dataId, force);
    const buffer = bufferOf(values);
    if (buffer !== null && owned.get(buffer) === values && !this.data.has(dataId)) {
      owned.delete(buffer);
      if (enabled) pool.give(values as Float32Array);
    }
    return done;
  };
}

/**
 * What the backend's readSync returns for `t`, read inside a kernel call without counting as read
 * out (the kernel keeps no reference once it returns): the storage itself when it is the typed
 * array of t's dtype, as readSync would return it, else readSync's conversion.
 */
export function peekValues(
  backend: Pick<WatchableBackend, 'data' | 'readSync'>,
  t: tf.TensorInfo,
): tf.TypedArray {
  const v = backend.data.get(t.dataId)?.values;
  if (
    (t.dtype === 'float32' && v instanceof Float32Array) ||
    (t.dtype === 'int32' && v instanceof Int32Array)
  )
    return v;
  return backend.readSync(t.dataId) as tf.TypedArray;
}

/**
 * `t.dataSync()` for a caller that keeps no reference to the result once it returns (a kernel or
 * an optimizer step reading a gradient), which therefore does not stop t's storage from being
 * reused. On any backend but tfjs's CPU one, or for data the CPU backend does not hold: dataSync.
 */
export function peekData(t: tf.Tensor): tf.TypedArray {
  if (tf.getBackend() === 'cpu') {
    const cpu = tf.backend() as unknown as WatchableBackend;
    if (cpu.data?.has(t.dataId)) return peekValues(cpu, t);
  }
  return t.dataSync() as tf.TypedArray;
}

/**
 * Whether kernel outputs are reused (see the file comment); `on` switches (off: the held arrays are
 * dropped). Default: on.
 */
export function recycleOutputs(on?: boolean): boolean {
  if (on !== undefined && typeof on !== 'boolean')
    throw new Error(`recycleOutputs: expected true, false or nothing, got ${String(on)} (a ${typeof on})`);
  if (on !== undefined) {
    enabled = on;
    if (!on) pool = new BufferPool(MAX_HELD_BYTES);
  }
  enabled ??= true;
  return enabled;
}

/** Bytes held for reuse (for tests and diagnostics). */
export function recycledBytesHeld(): number {
  return pool.held();
}
