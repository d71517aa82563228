/**
 * Unusable output paths fail at once with exit 2 and one line naming the path and the reason:
 * nothing is trained, nothing hangs (Node's recursive mkdir loops forever under /proc), and no
 * file lands among the user's files.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../src/errors.js';
import { makeDirectory } from '../src/store/make-directory.js';
import { cli } from './cli-in-process.js';
import { FIXTURE_RUNS, writeFixtureRun } from './report-fixtures.js';

const QUICK = ['run', 'charlm', '--preset', 'quick', '--epochs', '1'];
const hasProc = existsSync('/proc/self');

/** Exit 2 with exactly one error line that contains every `parts`. */
function expectUsageError(r: Awaited<ReturnType<typeof cli>>, ...parts: string[]) {
  expect(r.code, r.err).toBe(ExitCode.usage);
  expect(r.errLines).toHaveLength(1);
  for (const p of parts) expect(r.errLines[0]).toContain(p);
}

describe('run --out', () => {
  it.skipIf(!hasProc)('refuses a directory under /proc (where mkdir -p never returns)', async () => {
    expectUsageError(
      await cli(...QUICK, '--out', '/proc/regulab-test/run'),
      '/proc/regulab-test',
      'cannot create',
    );
  });

  it('refuses an empty path instead of training into the current directory', async () => {
    expectUsageError(await cli(...QUICK, '--out', ''), '--out', 'empty path');
  });

  it('refuses a file, a dangling symlink and a non-empty directory that holds no run', async () => {
    const root = mkdtempSync(join(tmpdir(), 'regulab-paths-'));
    writeFileSync(join(root, 'notes.txt'), 'the user’s file');
    symlinkSync(join(root, 'nowhere'), join(root, 'dangling'));
    expectUsageError(await cli(...QUICK, '--out', join(root, 'notes.txt')), 'notes.txt is a file');
    expectUsageError(await cli(...QUICK, '--out', join(root, 'dangling', 'run')), 'symbolic link to nothing');
    expectUsageError(await cli(...QUICK, '--out', root), 'is not empty (dangling, notes.txt)');
    expect(readdirSync(root).sort()).toEqual(['dangling', 'notes.txt']); // nothing written
  });
});

describe('report --out', () => {
  it.skipIf(!hasProc)('refuses a file under /proc', async () => {
    const run = writeFixtureRun(mkdtempSync(join(tmpdir(), 'regulab-paths-')), FIXTURE_RUNS[0]!);
    expectUsageError(await cli('report', run, '--out', '/proc/regulab-test/r.html'), '/proc/regulab-test');
    expectUsageError(await cli('report', run, '--out', ''), 'empty path');
  });
});

describe('makeDirectory', () => {
  it('creates missing parents one level at a time and accepts an existing directory', () => {
    const root = mkdtempSync(join(tmpdir(), 'regulab-paths-'));
    makeDirectory(join(root, 'a', 'b', 'c'), 'test');
    expect(existsSync(join(root, 'a', 'b', 'c'))).toBe(true);
    mkdirSync(join(root, 'd'));
    makeDirectory(join(root, 'd'), 'test');
    expect(() => makeDirectory(' ', 'test dir')).toThrow('test dir: an empty path');
  });
});
