/**
 * Float32Arrays recycled across calls by exact length, for the tape of the fused ops (gates and
 * state histories: megabytes per call). A fresh typed array of that size is fresh pages, and on
 * the machines measured their first-touch page faults cost more than the kernel that fills them
 * (6.5 MB: ~10 ms to allocate and fill fresh, 0.2 ms to refill). Arrays come back with stale
 * contents: the kernels write every element of a tape buffer before reading it.
 */
export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  private bytes = 0;

  /** @param maxBytes most bytes kept for reuse (arrays given beyond it are left to the GC). */
  constructor(private readonly maxBytes: number) {}

  /** An array of `length` floats: a recycled one if there is one (stale contents), else a new one. */
  take(length: number): Float32Array {
    const a = this.free.get(length)?.pop();
    if (a === undefined) return new Float32Array(length);
    this.bytes -= a.byteLength;
    return a;
  }

  /** Hands arrays back; the caller must not use them afterwards. */
  give(...arrays: Float32Array[]): void {
    for (const a of arrays) {
      if (this.bytes + a.byteLength > this.maxBytes) continue;
      const list = this.free.get(a.length) ?? [];
      list.push(a);
      this.free.set(a.length, list);
      this.bytes += a.byteLength;
    }
  }

  /** Bytes held for reuse. */
  held(): number {
    return this.bytes;
  }
}
