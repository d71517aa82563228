/**
 * Node's file-system errors (`ENOSPC: no space left on device, write`) in words a user can act
 * on: what went wrong, with the code for searching, and no stack trace.
 */

const MEANING: Readonly<Record<string, string>> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exhausted',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory (or the file system does not allow creating it there)',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EISDIR: 'it is a directory',
  EEXIST: 'it already exists',
  EIO: 'an input/output error of the device',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
};

/** A Node errno error as `<meaning> (<CODE>)`; any other error as its message. */
export function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && code in MEANING) return `${MEANING[code]} (${code})`;
  return e instanceof Error ? e.message : String(e);
}

/** Whether `e` is an error of a file-system call (it has an errno code and a syscall). */
export function isFsError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && 'syscall' in e;
}
