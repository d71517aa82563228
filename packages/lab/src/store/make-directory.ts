/**
 * Creating the lab's directories (run directories, report folders, the dataset cache), one level
 * at a time from the deepest existing ancestor. Node's `mkdirSync(…, { recursive: true })` loops
 * forever at 100% CPU where a parent refuses new entries with ENOENT (anywhere under /proc), and
 * its errors name neither the option nor what to do; here every problem is one ConfigError
 * (exit 2) naming the path and the reason.
 */
import { lstatSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { describeFsError } from './fs-errors.js';

/**
 * Makes sure `dir` is a directory, creating it and its missing parents. `what` names it in errors
 * (e.g. "--out /proc/x").
 */
export function makeDirectory(dir: string, what: string): void {
  if (dir.trim() === '') throw new ConfigError(`${what}: an empty path; give a directory`);
  const missing: string[] = [];
  let existing = resolve(dir);
  for (;;) {
    const kind = entryKind(existing);
    if (kind === 'directory') break;
    if (kind === 'dangling link')
      throw new ConfigError(
        `${what}: ${existing} is a symbolic link to nothing; remove it or fix its target`,
      );
    if (kind === 'other') throw new ConfigError(`${what}: ${existing} is a file, not a directory`);
    missing.unshift(existing);
    const parent = dirname(existing);
    if (parent === existing) break; // the root itself is missing: mkdir says why below
    existing = parent;
  }
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      throw new ConfigError(`${what}: cannot create ${d}: ${describeFsError(e)}`);
    }
  }
}

function entryKind(path: string): 'directory' | 'other' | 'missing' | 'dangling link' {
  try {
    return statSync(path).isDirectory() ? 'directory' : 'other';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') return 'other'; // ENOTDIR: a parent is a file, found next
    try {
      return lstatSync(path).isSymbolicLink() ? 'dangling link' : 'missing';
    } catch {
      return 'missing';
    }
  }
}
