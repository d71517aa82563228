/**
 * Text8 (Mahoney): the first 10^8 bytes of an English Wikipedia dump, lowercased, only `a–z` and
 * single spaces, one line. Character level, fixed 27-symbol vocabulary (space, a … z).
 *
 * Split (Mikolov et al. 2012; the zoneout paper): the first 90,000,000 characters train, the next
 * 5,000,000 valid, the last 5,000,000 test. A file of another length (a sample) is split 90 / 5 / 5 %.
 * Download: http://mattmahoney.net/dc/text8.zip (SHA-1 checked), the `text8` entry is extracted with
 * fflate and checked again (SHA-256) before it is written (atomically) to `<cache>/text8/text8`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { unzipSync } from 'fflate';

import { defaultCacheDir, downloadToCache } from './download.js';
import { DatasetError } from './errors.js';
import type { TextCorpus } from './types.js';
import { Vocabulary } from './vocabulary.js';
import { makeDirectory } from '../store/make-directory.js';

/** Where text8.zip comes from and its SHA-1 (as checked by GluonNLP). */
export const TEXT8_ZIP = {
  url: 'http://mattmahoney.net/dc/text8.zip',
  sha1: '6c70299b93b7e1f927b42cd8f6ac1a31547c7a2e',
};
/** SHA-256 of the extracted 100,000,000-byte text8 file. */
export const TEXT8_SHA256 = '6e890197040d37d85beb962ae1f041ff1d9a9ca8d20c7d99c85027eebf51dca7';
const STANDARD_LENGTH = 100_000_000;

/** Options of `loadText8`. */
export interface Text8Options {
  /** The unzipped `text8` file, or `text8.zip`. */
  path?: string;
  download?: boolean;
  cacheDir?: string;
}

/** Text8 from a path (text8 or text8.zip) or the download cache; split as in the module doc. */
export async function loadText8(opts: Text8Options = {}): Promise<TextCorpus> {
  let path = opts.path;
  if (path === undefined) {
    if (!opts.download)
      throw new DatasetError('text8', 'give the path of the text8 file or allow download: true');
    path = await cachedText8(opts.cacheDir ?? defaultCacheDir());
  }
  if (!existsSync(path)) throw new DatasetError(path, 'no such file');
  const bytes = path.endsWith('.zip') ? extractText8(readFileSync(path), path) : readFileSync(path);
  return text8FromBytes(bytes, path);
}

/** Validates and splits the text8 bytes. */
export function text8FromBytes(bytes: Uint8Array, file: string): TextCorpus {
  const vocab = new Vocabulary([' ', ...'abcdefghijklmnopqrstuvwxyz']);
  const n = bytes.length;
  if (n < 20)
    throw new DatasetError(file, `the file has ${n} bytes: too short to split into train/valid/test`);
  const ids = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    if (b === 32) ids[i] = 0;
    else if (b >= 97 && b <= 122) ids[i] = b - 96;
    else
      throw new DatasetError(
        file,
        `byte ${i}: character ${JSON.stringify(String.fromCharCode(b))} (0x${b.toString(16)}) is outside ` +
          'the text8 vocabulary (a–z and space)',
      );
  }
  const [nTrain, nValid] =
    n === STANDARD_LENGTH ? [90_000_000, 5_000_000] : [Math.floor(n * 0.9), Math.floor(n * 0.05)];
  return {
    name: 'text8',
    level: 'char',
    vocab,
    source: file,
    preprocessing:
      'Text8 as distributed (a–z and space); 27-symbol vocabulary; split: first 90M characters train, ' +
      'next 5M valid, last 5M test (90/5/5 % for a file that is not the standard 100M).',
    train: ids.subarray(0, nTrain),
    valid: ids.subarray(nTrain, nTrain + nValid),
    test: ids.subarray(nTrain + nValid),
  };
}

async function cachedText8(cacheDir: string): Promise<string> {
  const target = join(cacheDir, 'text8', 'text8');
  if (existsSync(target)) return target; // only ever written after its SHA-256 matched
  const zip = await downloadToCache({
    url: TEXT8_ZIP.url,
    fileName: join('text8', 'text8.zip'),
    checksum: { algorithm: 'sha1', hex: TEXT8_ZIP.sha1 },
    cacheDir,
  });
  const bytes = extractText8(readFileSync(zip), zip);
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (digest !== TEXT8_SHA256)
    throw new DatasetError(zip, `the extracted text8 has SHA-256 ${digest}, expected ${TEXT8_SHA256}`);
  makeDirectory(dirname(target), 'the dataset cache');
  const part = `${target}.${process.pid}.part`;
  writeFileSync(part, bytes);
  renameSync(part, target);
  return target;
}

function extractText8(zipBytes: Uint8Array, file: string): Uint8Array {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(zipBytes, { filter: (f) => f.name === 'text8' });
  } catch (err) {
    throw new DatasetError(file, `not a readable zip archive (${(err as Error).message})`);
  }
  const bytes = entries.text8;
  if (!bytes) throw new DatasetError(file, 'the archive has no `text8` entry');
  return bytes;
}
