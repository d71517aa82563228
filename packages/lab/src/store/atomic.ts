/**
 * Atomic file writes: the data goes to a temporary file in the same directory, is flushed to disk
 * (fsync), then renamed over the target. A reader (or a run resumed after SIGKILL) sees either the
 * old file or the new one, never a torn one. A write that fails (a full disk) removes its
 * temporary file; one cut short by a kill leaves a `.<name>.tmp-<pid>-<n>` file, which
 * `removeStaleTemporaries` deletes when the directory is next used.
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

let counter = 0;

/** `.<name>.tmp-<pid>-<n>`, and `<name>.<pid>-<random>.tmp` of the reports' former writer. */
const TEMPORARY = /^\..+\.tmp-\d+-\d+$|^.+\.\d+-[0-9a-z]+\.tmp$/;

export interface AtomicWriteOptions {
  /** Before the new file takes its place, the old one (if any) is renamed to this path. */
  keepPreviousAs?: string;
}

/** Writes `data` to `file` atomically (temp file + fsync + rename + directory fsync). */
export function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  opts: AtomicWriteOptions = {},
): void {
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.tmp-${process.pid}-${counter++}`);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  try {
    const fd = openSync(tmp, 'w');
    try {
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (opts.keepPreviousAs !== undefined) {
      try {
        renameSync(file, opts.keepPreviousAs);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  syncDirectory(dir);
}

/** Deletes the temporary files that killed writers left in `dir`; returns their names. */
export function removeStaleTemporaries(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => TEMPORARY.test(n));
  } catch {
    return [];
  }
  for (const n of names) rmSync(join(dir, n), { force: true });
  return names;
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
