/**
 * A first-fit allocator over the WebAssembly memory (the kernels allocate nothing themselves).
 * Blocks are 64-byte aligned (a cache line; every v128 access is aligned). The memory grows on
 * demand up to its maximum; freed neighbours are merged.
 */
export class WasmHeap {
  private free: { start: number; size: number }[] = [];
  private used = new Map<number, number>();
  private top: number;

  constructor(
    private readonly memory: WebAssembly.Memory,
    base: number,
    private readonly maxBytes: number,
  ) {
    this.top = align(base);
  }

  /** Bytes currently allocated (for leak tests). */
  bytesInUse(): number {
    let n = 0;
    for (const s of this.used.values()) n += s;
    return n;
  }

  alloc(bytes: number): number {
    const size = align(Math.max(bytes, 64));
    for (let i = 0; i < this.free.length; i++) {
      const f = this.free[i];
      if (f.size >= size) {
        const start = f.start;
        if (f.size === size) this.free.splice(i, 1);
        else {
          f.start += size;
          f.size -= size;
        }
        this.used.set(start, size);
        return start;
      }
    }
    const start = this.top;
    const end = start + size;
    if (end > this.memory.buffer.byteLength) {
      if (end > this.maxBytes) {
        throw new Error(
          `regulab wasm kernels: out of memory (need ${(end / 2 ** 20).toFixed(0)} MiB, the WebAssembly memory is limited to ${(this.maxBytes / 2 ** 20).toFixed(0)} MiB); use smaller batches or sequences`,
        );
      }
      this.memory.grow(Math.ceil((end - this.memory.buffer.byteLength) / 65536));
    }
    this.top = end;
    this.used.set(start, size);
    return start;
  }

  release(ptr: number): void {
    const size = this.used.get(ptr);
    if (size === undefined) return;
    this.used.delete(ptr);
    if (ptr + size === this.top) {
      this.top = ptr;
    } else {
      this.free.push({ start: ptr, size });
    }
    this.coalesce();
  }

  private coalesce(): void {
    this.free.sort((a, b) => a.start - b.start);
    const out: { start: number; size: number }[] = [];
    for (const f of this.free) {
      const last = out[out.length - 1];
      if (last !== undefined && last.start + last.size === f.start) last.size += f.size;
      else out.push({ ...f });
    }
    // blocks that now end at the top give their space back to it
    while (out.length > 0 && out[out.length - 1].start + out[out.length - 1].size === this.top) {
      this.top = out.pop()!.start;
    }
    this.free = out;
  }
}

function align(n: number): number {
  return Math.ceil(n / 64) * 64;
}
