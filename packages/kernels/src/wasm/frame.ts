/**
 * The memory of one kernel call: a context block plus the buffers it points to, allocated from
 * the runtime's heap and released together. A forward call's frame becomes the tape its backward
 * call consumes; a tape that is dropped unused is released by a FinalizationRegistry.
 */
import type { FusedZoneout } from '../fused/impl.js';
import { ZONEOUT_FIELD, ZONEOUT_MODE } from '../fused/abi.js';
import { zoneoutDraw } from '../fused/zoneout-hash.js';
import { CONTEXT_BYTES, F } from './context.js';
import { putRows } from './layout.js';
import type { WasmRuntime } from './runtime.js';

export class Frame {
  /** Byte offset of the context block. */
  readonly ctx: number;
  private blocks: number[] = [];
  private released = false;

  constructor(readonly rt: WasmRuntime) {
    this.ctx = this.allocBytes(CONTEXT_BYTES, true);
    this.setFloat(F.ONE, 1);
  }

  private allocBytes(bytes: number, zero: boolean): number {
    const p = this.rt.heap.alloc(bytes);
    this.blocks.push(p);
    if (zero) new Uint8Array(this.rt.memory.buffer, p, Math.ceil(Math.max(bytes, 64) / 64) * 64).fill(0);
    return p;
  }

  /** Allocates `floats` float32 (zero-filled when asked), stores the pointer in `field`, returns the float index. */
  buffer(field: number, floats: number, zero = false): number {
    const p = this.allocBytes(floats * 4, zero);
    this.set(field, p);
    return p / 4;
  }

  set(field: number, value: number): void {
    this.rt.i32()[this.ctx / 4 + field] = value;
  }

  setFloat(field: number, value: number): void {
    this.rt.f32()[this.ctx / 4 + field] = value;
  }

  get(field: number): number {
    return this.rt.i32()[this.ctx / 4 + field];
  }

  /** Float index of the buffer in `field`. */
  at(field: number): number {
    return this.get(field) / 4;
  }

  /** Copies a tight [rows, cols] array into a new zero-padded [rows][stride] buffer at `field`. */
  put(field: number, src: Float32Array, rows: number, cols: number, stride: number): number {
    const p = this.buffer(field, rows * stride, stride !== cols);
    putRows(this.rt.f32(), p, stride, src, rows, cols);
    return p;
  }

  /** Writes a zoneout spec into the zoneout block at `field` (ZONEOUT_FIELD; a mask is copied padded). */
  zoneout(field: number, z: FusedZoneout, rows: number, units: number, stride: number): void {
    this.set(field + ZONEOUT_FIELD.mode, ZONEOUT_MODE[z.mode]);
    if (z.mode === 'mask') this.put(field + ZONEOUT_FIELD.mask, z.mask, rows, units, stride);
    else if (z.mode === 'expectation') this.setFloat(field + ZONEOUT_FIELD.rate, z.rate);
    else if (z.mode === 'seeded') {
      const { key, threshold } = zoneoutDraw(z.seed, z.rate);
      this.set(field + ZONEOUT_FIELD.key, key | 0);
      this.set(field + ZONEOUT_FIELD.threshold, threshold);
    }
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    for (const p of this.blocks) this.rt.heap.release(p);
    this.blocks = [];
  }
}

/** Releases the memory of tapes that were dropped without a backward call. */
const dropped = new FinalizationRegistry<Frame>((frame) => frame.release());

/** The opaque tape handed to the caller: holds its frame until consumed. */
export class WasmTape {
  constructor(public frame: Frame | null) {
    if (frame !== null) dropped.register(this, frame, this);
  }

  /** Takes the frame (a tape is single use). */
  take(): Frame {
    const f = this.frame;
    if (f === null) throw new Error('regulab wasm kernels: this tape was already used by a backward call');
    this.frame = null;
    dropped.unregister(this);
    return f;
  }
}
