/**
 * The checkpoint file format: one file holds one consistent training state, so a single atomic
 * rename publishes it (several files could be caught half-updated by a SIGKILL).
 *
 * Layout (little-endian):
 *
 *     bytes 0–7    "RLCKPT01"
 *     bytes 8–11   uint32 n: length of the JSON header
 *     n bytes      header: { meta, tensors: [{ name, dtype, shape, offset, length }], sha256, headerSha256 }
 *     padding      to a multiple of 4
 *     data         the tensors' raw float32 / int32 values (offsets relative to here)
 *
 * `meta` is any JSON (epoch, RNG counters, early-stopping state…); `sha256` covers the data and
 * `headerSha256` the JSON of `{ meta, tensors }` (absent in files written before it existed), so a
 * damaged file is rejected with a RunFileError instead of loading garbage weights or a wrong epoch.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { RunFileError } from '../errors.js';
import { type AtomicWriteOptions, writeFileAtomic } from './atomic.js';

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
export function writeCheckpointFile<Meta>(
  file: string,
  ckpt: CheckpointFile<Meta>,
  opts: AtomicWriteOptions = {},
): void {
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
  const headerSha256 = sha256Of(JSON.stringify({ meta: ckpt.meta, tensors: entries }));
  const header = Buffer.from(
    JSON.stringify({ meta: ckpt.meta, sha256, tensors: entries, headerSha256 }),
    'utf8',
  );
  const dataStart = align4(12 + header.length);
  const out = new Uint8Array(dataStart + data.length);
  out.set(Buffer.from(MAGIC, 'ascii'), 0);
  new DataView(out.buffer).setUint32(8, header.length, true);
  out.set(header, 12);
  out.set(data, dataStart);
  writeFileAtomic(file, out, opts);
}

/** Reads and verifies a checkpoint; throws a RunFileError naming the file and the problem. */
export function readCheckpointFile<Meta>(file: string): CheckpointFile<Meta> {
  const buf = readFileSync(file);
  const fail = (problem: string): never => {
    throw new RunFileError(file, `not a valid Regulab checkpoint (${problem})`);
  };
  if (buf.length < 12 || buf.toString('ascii', 0, 8) !== MAGIC) fail('bad magic number');
  const headerLength = buf.readUInt32LE(8);
  if (12 + headerLength > buf.length) fail('truncated header');
  let header: { meta: Meta; sha256: string; tensors: HeaderEntry[]; headerSha256?: string };
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + headerLength));
  } catch {
    return fail('unreadable header');
  }
  if (typeof header !== 'object' || header === null || !Array.isArray(header.tensors))
    return fail('unreadable header');
  if (
    header.headerSha256 !== undefined &&
    sha256Of(JSON.stringify({ meta: header.meta, tensors: header.tensors })) !== header.headerSha256
  )
    fail('header checksum mismatch');
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

function sha256Of(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function align4(n: number): number {
  return Math.ceil(n / 4) * 4;
}
