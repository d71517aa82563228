/**
 * Float32Arrays recycled across calls by exact length, for the tape of the fused ops (gates and
 * state histories: megabytes per call). A fresh typed array of that size is fresh pages, and on
 * the machines measured their first-touch page faults cost more than the kernel that fills them
 * (6.5 MB: ~10 ms to allocate and fill fresh, 0.2 ms to refill). Arrays come back with stale
 * contents: the kernels write every element of a tape buffer before reading it.
 *
 * The pool keeps the lengths used last: an array given back when the pool is full evicts arrays of
 * the least recently used other lengths (never of a length given in the same call), else it is
 * left to the garbage collector. Keeping the first arrays that fitted instead let a few calls of
 * another size (a training run's evaluation batches) fill the pool for good: every later training
 * step then allocated its tape afresh (measured: 19,700 page faults and 3× the time per pmnist step).
 */
export class BufferPool {
  /** Free arrays by length, the least recently used length first (Map keeps insertion order). */
  private readonly free = new Map<number, Float32Array[]>();
  private bytes = 0;

  /** @param maxBytes most bytes kept for reuse (arrays given beyond it are left to the GC). */
  constructor(private readonly maxBytes: number) {}

  /** An array of `length` floats: a recycled one if there is one (stale contents), else a new one. */
  take(length: number): Float32Array {
    const list = this.free.get(length);
    const a = list?.pop();
    if (list !== undefined) this.touch(length, list);
    if (a === undefined) return new Float32Array(length);
    this.bytes -= a.byteLength;
    return a;
  }

  /** Hands arrays back; the caller must not use them afterwards. */
  give(...arrays: Float32Array[]): void {
    const given = new Set(arrays.map((a) => a.length));
    for (const a of arrays) {
      if (a.byteLength > this.maxBytes) continue;
      this.evictFor(a.byteLength, given);
      if (this.bytes + a.byteLength > this.maxBytes) continue;
      const list = this.free.get(a.length) ?? [];
      list.push(a);
      this.touch(a.length, list);
      this.bytes += a.byteLength;
    }
  }

  /** Bytes held for reuse. */
  held(): number {
    return this.bytes;
  }

  /** Marks `length` as used last. */
  private touch(length: number, list: Float32Array[]): void {
    this.free.delete(length);
    this.free.set(length, list);
  }

  /** Drops arrays of the least recently used lengths outside `keep` until `bytes` more fit. */
  private evictFor(bytes: number, keep: Set<number>): void {
    for (const [length, list] of this.free) {
      if (this.bytes + bytes <= this.maxBytes) return;
      if (keep.has(length)) continue;
      while (list.length > 0 && this.bytes + bytes > this.maxBytes) this.bytes -= list.pop()!.byteLength;
      if (list.length === 0) this.free.delete(length);
    }
  }
}
