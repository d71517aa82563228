/**
 * `--help`, `--version` and `list` do not load TensorFlow.js (they took about a second doing so):
 * with @tensorflow/tfjs made unloadable they still work, while `run`, which needs it, fails on it
 * (so the mock is in effect).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { ExitCode } from '../src/errors.js';
import { cli } from './cli-in-process.js';

vi.mock('@tensorflow/tfjs', () => {
  throw new Error('TensorFlow.js was loaded');
});

describe('commands that need no model', () => {
  it('--help, --version and list run without loading TensorFlow.js', async () => {
    for (const argv of [['--help'], ['--version'], ['run', '--help'], ['list', tmpdir()]]) {
      const r = await cli(...argv);
      expect(r.code, `${argv.join(' ')}: ${r.err}`).toBe(ExitCode.ok);
    }
  });

  it('run does load it (the mock is in effect)', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'regulab-light-')), 'run');
    const r = await cli('run', 'charlm', '--preset', 'quick', '--out', out);
    expect(r.code).not.toBe(ExitCode.ok);
    expect(r.err).toContain('error when mocking a module'); // vitest's wrapping of the factory's throw
  });
});
