/**
 * The IDX format of the MNIST files (LeCun): a 4-byte magic number `0x00 0x00 <type> <ndims>`,
 * `ndims` big-endian uint32 dimensions, then the data, row-major. MNIST uses type 0x08 (unsigned
 * byte): images [n, 28, 28] (magic 0x00000803), labels [n] (magic 0x00000801). Gzipped files
 * (`.gz`, detected by their content) are inflated first.
 */
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

import { DatasetError } from './errors.js';

/** A parsed IDX array. */
export interface IdxArray {
  dims: number[];
  /** Row-major unsigned bytes. */
  data: Uint8Array;
}

/** Reads and validates an IDX file (gzipped or not); errors name the file and the problem. */
export function readIdx(path: string): IdxArray {
  if (!existsSync(path)) throw new DatasetError(path, 'no such file');
  return parseIdx(readFileSync(path), path);
}

/** Parses IDX bytes (gzipped or not); `file` is used in error messages. */
export function parseIdx(raw: Uint8Array, file: string): IdxArray {
  let buf = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (err) {
      throw new DatasetError(file, `corrupt or truncated gzip data (${(err as Error).message})`);
    }
  }
  if (buf.length < 4) throw new DatasetError(file, `truncated IDX file: ${buf.length} bytes, no header`);
  const magic = buf.readUInt32BE(0);
  const type = buf[2]!;
  const ndims = buf[3]!;
  if (buf[0] !== 0 || buf[1] !== 0 || ndims < 1 || ndims > 4)
    throw new DatasetError(
      file,
      `wrong magic number 0x${magic.toString(16).padStart(8, '0')}: not an IDX file ` +
        '(expected 0x000008NN, e.g. 0x00000803 for images, 0x00000801 for labels)',
    );
  if (type !== 0x08)
    throw new DatasetError(
      file,
      `IDX data type 0x${type.toString(16)} is not supported (MNIST uses 0x08, unsigned byte)`,
    );
  const header = 4 + 4 * ndims;
  if (buf.length < header)
    throw new DatasetError(
      file,
      `truncated IDX file: the header needs ${header} bytes, the file has ${buf.length}`,
    );
  const dims = Array.from({ length: ndims }, (_, k) => buf.readUInt32BE(4 + 4 * k));
  const size = dims.reduce((a, b) => a * b, 1);
  const have = buf.length - header;
  if (have < size)
    throw new DatasetError(
      file,
      `truncated IDX file: the header says ${dims.join('×')} = ${size} bytes of data, the file has ${have}`,
    );
  if (have > size)
    throw new DatasetError(
      file,
      `IDX file has ${have - size} bytes after the ${dims.join('×')} data the header announces`,
    );
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + header, size) };
}
