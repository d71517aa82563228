/**
 * What the CLI tells the user: its version, where a resume starts, and which run each epoch line
 * of a compare job belongs to when the runs train one after another.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../src/errors.js';
import { cli } from './cli-in-process.js';

describe('feedback', () => {
  it('--version prints the lab package version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const r = await cli('--version');
    expect(r.code).toBe(ExitCode.ok);
    expect(r.out).toBe(version);
  });

  it('resume says which epoch it resumes after', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'regulab-feedback-')), 'run');
    const r = await cli('run', 'charlm', '--preset', 'quick', '--epochs', '2', '--out', dir, '--json');
    expect(r.code, r.err).toBe(ExitCode.ok);
    rmSync(join(dir, 'checkpoints', 'last.ckpt')); // back to the end of epoch 1 (previous.ckpt)
    const again = await cli('resume', dir, '--no-report');
    expect(again.code, again.err).toBe(ExitCode.ok);
    expect(again.lines[0]).toBe('resuming after epoch 1 (its checkpoint), at epoch 2');
    expect(again.lines[1]).toMatch(/^epoch {3}2 {2}bpc: train/);
  });

  it('compare --workers 1: every epoch line names its run', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'regulab-feedback-')), 'c');
    const r = await cli('run', 'compare', '--preset', 'quick', '--workers', '1', '--out', dir);
    expect(r.code, r.err).toBe(ExitCode.ok);
    const epochs = r.lines.filter((l) => /\bepoch +\d+ +bpc:/.test(l));
    expect(epochs).toHaveLength(10); // 5 runs × 2 epochs
    for (const name of ['unregularized', 'gal', 'semeniuta', 'zoneout', 'weight-drop'])
      expect(epochs.filter((l) => l.startsWith(`[${name}] epoch `))).toHaveLength(2);
  });
});
