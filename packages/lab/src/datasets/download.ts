/**
 * Downloads into a cache directory with a checksum check and an atomic write.
 *
 * The file is streamed to `<cacheDir>/<fileName>.<pid>-<random>.part` while it is hashed; only when
 * the digest equals the expected one is it renamed to `<cacheDir>/<fileName>` (rename is atomic on
 * one filesystem), so the cache never holds a truncated or corrupted file under the final name. A
 * cached file is re-hashed before use and downloaded again when its digest is wrong.
 * Supports http:, https: (Node's fetch) and file: URLs (a local mirror; what the tests use).
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';

import cliProgress from 'cli-progress';

import { DatasetError } from './errors.js';
import { makeDirectory } from '../store/make-directory.js';

/** An expected digest. */
export interface Checksum {
  algorithm: 'md5' | 'sha1' | 'sha256';
  /** Lowercase hex digest. */
  hex: string;
}

/** Options of `downloadToCache`. */
export interface DownloadOptions {
  url: string;
  /** Name of the file in the cache directory. */
  fileName: string;
  checksum: Checksum;
  /** Default: `defaultCacheDir()`. */
  cacheDir?: string;
  /** Called as bytes arrive (total is null when the server sends no length). Default: a progress
   *  bar on stderr when it is a terminal, else nothing. */
  onProgress?: (received: number, total: number | null) => void;
}

/** `$REGULAB_CACHE`, else `~/.cache/regulab`. */
export function defaultCacheDir(): string {
  return process.env.REGULAB_CACHE || join(homedir(), '.cache', 'regulab');
}

/** The hex digest of a file. */
export async function fileDigest(path: string, algorithm: Checksum['algorithm']): Promise<string> {
  const hash = createHash(algorithm);
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** Returns the path of the verified file in the cache, downloading it first when needed. */
export async function downloadToCache(opts: DownloadOptions): Promise<string> {
  const dir = opts.cacheDir ?? defaultCacheDir();
  const target = join(dir, opts.fileName);
  const expected = opts.checksum.hex.toLowerCase();
  if (existsSync(target) && (await fileDigest(target, opts.checksum.algorithm)) === expected) return target;

  makeDirectory(dirname(target), 'the dataset cache');
  const part = `${target}.${process.pid}-${Math.random().toString(36).slice(2)}.part`;
  const hash = createHash(opts.checksum.algorithm);
  const progress = opts.onProgress ?? terminalProgress(opts.fileName);
  try {
    const { body, total } = await openSource(opts.url);
    let received = 0;
    body.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      received += chunk.length;
      progress?.(received, total);
    });
    await pipeline(body, createWriteStream(part));
    progress?.(received, received);
    if (total !== null && received !== total)
      throw new DatasetError(opts.url, `truncated download: got ${received} of ${total} bytes`);
    const actual = hash.digest('hex');
    if (actual !== expected)
      throw new DatasetError(
        opts.url,
        `checksum mismatch: expected ${opts.checksum.algorithm} ${expected}, got ${actual} ` +
          `(${received} bytes); the file was not kept`,
      );
    renameSync(part, target);
    return target;
  } catch (err) {
    rmSync(part, { force: true });
    if (err instanceof DatasetError) throw err;
    throw new DatasetError(opts.url, `download failed: ${(err as Error).message}`);
  }
}

async function openSource(url: string): Promise<{ body: Readable; total: number | null }> {
  if (url.startsWith('file:')) {
    const path = fileURLToPath(url);
    if (!existsSync(path)) throw new DatasetError(url, 'no such file');
    return { body: createReadStream(path), total: null };
  }
  const res = await fetch(url, { redirect: 'follow' });
  if (!res.ok || !res.body) throw new DatasetError(url, `HTTP ${res.status} ${res.statusText}`.trim());
  const length = Number(res.headers.get('content-length'));
  return {
    body: Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>),
    total: Number.isFinite(length) && length > 0 ? length : null,
  };
}

/** A cli-progress bar (bytes, ETA) when stderr is a terminal. */
function terminalProgress(name: string): DownloadOptions['onProgress'] {
  if (!process.stderr.isTTY) return undefined;
  const bar = new cliProgress.SingleBar(
    {
      format: `${name} [{bar}] {percentage}% | {value}/{total} MB | ETA {eta_formatted}`,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return (received, total) => {
    const mb = (n: number) => Math.round(n / 1e5) / 10;
    if (!started) bar.start(mb(total ?? received), 0);
    started = true;
    if (total !== null) bar.setTotal(mb(total));
    bar.update(mb(received));
    if (total !== null && received >= total) bar.stop();
  };
}
