/**
 * Atomic file writes: the data goes to a temporary file in the same directory, is flushed to disk
 * (fsync), then renamed over the target. A reader (or a run resumed after SIGKILL) sees either the
 * old file or the new one, never a torn one; a leftover `*.tmp-*` file is garbage and is ignored.
 */
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

let counter = 0;

/** Writes `data` to `file` atomically (temp file + fsync + rename + directory fsync). */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.tmp-${process.pid}-${counter++}`);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const fd = openSync(tmp, 'w');
  try {
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  syncDirectory(dir);
}

/** Flushes a directory entry (the rename) to disk; a no-op where the platform cannot. */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms (Windows) cannot open a directory: the rename is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
