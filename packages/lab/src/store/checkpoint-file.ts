/**
 * The checkpoint file format: one file holds one consistent training state, so a single atomic
 * rename publishes it (several files could be caught half-updated by a SIGKILL).
 *
 * Layout (little-endian):
 *
 *     bytes 0–7    "RLCKPT01"
 *     bytes 8–11   uint32 n: length of the JSON header
 *     n bytes      header: { meta, sha256, tensors: [{ name, dtype, shape, offset, length }] }
 *     padding      to a multiple of 4
 *     data         the tensors' raw float32 / int32 values (offsets relative to here)
 *
 * `meta` is any JSON (epoch, RNG counters, early-stopping state…); `sha256` covers the data, so a
 * damaged file is rejected with a clear error instead of loading garbage weights.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic.js';

const MAGIC = 'RLCKPT01';

export interface StoredTensor {
  dtype: 'float32' | 'int32';
  shape: number[];
  data: Float32Array | Int32Array;
}

export interface CheckpointFile<Meta> {
  meta: Meta;
  tensors: Map<string, StoredTensor>;
}

interface HeaderEntry {
  name: string;
  dtype: 'float32' | 'int32';
  shape: number[];
  offset: number;
  length: number;
}

/** Encodes and atomically writes a checkpoint. */
export function writeCheckpointFile<Meta>(file: string, ckpt: CheckpointFile<Meta>): void {
  const entries: HeaderEntry[] = [];
  let offset = 0;
  for (const [name, t] of ckpt.tensors) {
    entries.push({ name, dtype: t.dtype, shape: t.shape, offset, length: t.data.length });
    offset += t.data.byteLength;
  }
  const data = new Uint8Array(offset);
  for (const e of entries) {
    const t = ckpt.tensors.get(e.name)!;
    data.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), e.offset);
  }
  const sha256 = createHash('sha256').update(data).digest('hex');
  const header = Buffer.from(JSON.stringify({ meta: ckpt.meta, sha256, tensors: entries }), 'utf8');
  const dataStart = align4(12 + header.length);
  const out = new Uint8Array(dataStart + data.length);
  out.set(Buffer.from(MAGIC, 'ascii'), 0);
  new DataView(out.buffer).setUint32(8, header.length, true);
  out.set(header, 12);
  out.set(data, dataStart);
  writeFileAtomic(file, out);
}

/** Reads and verifies a checkpoint; throws an error naming the file and the problem. */
export function readCheckpointFile<Meta>(file: string): CheckpointFile<Meta> {
  const buf = readFileSync(file);
  const fail = (problem: string): never => {
    throw new Error(`${file}: not a valid Regulab checkpoint (${problem})`);
  };
  if (buf.length < 12 || buf.toString('ascii', 0, 8) !== MAGIC) fail('bad magic number');
  const headerLength = buf.readUInt32LE(8);
  if (12 + headerLength > buf.length) fail('truncated header');
  let header: { meta: Meta; sha256: string; tensors: HeaderEntry[] };
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + headerLength));
  } catch {
    return fail('unreadable header');
  }
  const dataStart = align4(12 + headerLength);
  const data = new Uint8Array(buf.buffer, buf.byteOffset + dataStart, buf.length - dataStart);
  if (createHash('sha256').update(data).digest('hex') !== header.sha256) fail('checksum mismatch');
  const tensors = new Map<string, StoredTensor>();
  for (const e of header.tensors) {
    const bytes = data.slice(e.offset, e.offset + e.length * 4); // copy: aligned, owns its buffer
    if (bytes.length !== e.length * 4) fail(`tensor '${e.name}' is truncated`);
    const values = e.dtype === 'int32' ? new Int32Array(bytes.buffer) : new Float32Array(bytes.buffer);
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: values });
  }
  return { meta: header.meta, tensors };
}

function align4(n: number): number {
  return Math.ceil(n / 4) * 4;
}
