/**
 * A finished quick run made once per test file (in-process, `regulab run … --json`), and fresh
 * copies of it for the cases that damage or change a run directory.
 */
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ExitCode } from '../src/errors.js';
import { cli } from './cli-in-process.js';

export interface FinishedRun {
  /** The temporary directory holding the original and its copies. */
  root: string;
  /** The finished run. */
  original: string;
  /** A copy of the original at `<root>/<name>`. */
  copy(name: string): string;
}

/** Trains `regulab run <runArgs>` into a new temporary directory named from `prefix`. */
export async function finishedRun(prefix: string, runArgs: string[]): Promise<FinishedRun> {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const original = join(root, 'original');
  const r = await cli('run', ...runArgs, '--out', original, '--json');
  expect(r.code, r.err).toBe(ExitCode.ok);
  return {
    root,
    original,
    copy(name) {
      const dir = join(root, name);
      cpSync(original, dir, { recursive: true });
      return dir;
    },
  };
}
