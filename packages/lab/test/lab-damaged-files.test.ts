/**
 * Damaged run files and failing disks, driven in-process through `main`: a damaged last
 * checkpoint falls back to the previous one (the run ends exactly as if nothing had happened), no
 * good checkpoint left is exit 3 saying what is kept, a torn last metrics line is dropped with a
 * note, and a full disk or read-only file system (simulated: node:fs's writeSync fails for the
 * chosen file) fails the run in one line that says what was kept, leaves no temporary file, and
 * the run resumes once the disk is fine.
 */
import { readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { ExitCode } from '../src/errors.js';
import { metrics } from './cli-child.js';
import { cli } from './cli-in-process.js';
import { finishedRun } from './finished-run.js';

const disk = vi.hoisted(() => ({
  /** Writes to files matching this fail with `code`, after `allowed` more successful files. */
  failing: undefined as { file: RegExp; code: string; allowed: number } | undefined,
}));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const opened = new Map<number, string>();
  const openSync = ((path: string, ...rest: [never, never?]) => {
    const fd = fs.openSync(path, ...rest);
    opened.set(fd, String(path));
    const f = disk.failing;
    if (f && f.file.test(String(path)) && f.allowed-- <= 0) opened.set(fd, `fail:${path}`);
    return fd;
  }) as typeof fs.openSync;
  const writeSync = ((fd: number, ...rest: [never, never?, never?, never?]) => {
    if (opened.get(fd)?.startsWith('fail:'))
      throw Object.assign(new Error(`${disk.failing!.code}: simulated, write`), {
        code: disk.failing!.code,
        syscall: 'write',
      });
    return fs.writeSync(fd, ...rest);
  }) as typeof fs.writeSync;
  return { ...fs, default: { ...fs, openSync, writeSync }, openSync, writeSync };
});

const RUN = ['charlm', '--preset', 'quick', '--epochs', '2', '--train-chars', '3000', '--seed', '5'];
let root: string;
let original: string;
/** A copy of the finished original run. */
let copy: (name: string) => string;

beforeAll(async () => {
  ({ root, original, copy } = await finishedRun('regulab-damaged-', RUN));
}, 60_000);

const summaryOf = (out: string) => {
  const { runDir: _, ...rest } = JSON.parse(out.trim().split('\n').at(-1)!);
  return rest;
};

describe('a damaged checkpoint', () => {
  it('keeps the last two checkpoints', () => {
    expect(readdirSync(join(original, 'checkpoints')).sort()).toEqual(['last.ckpt', 'previous.ckpt']);
  });

  it('cut to half: the run resumes from previous.ckpt and ends exactly as the undamaged run', async () => {
    const dir = copy('half');
    const last = join(dir, 'checkpoints', 'last.ckpt');
    truncateSync(last, Math.floor(readFileSync(last).length / 2));
    const r = await cli('resume', dir, '--json', '--no-report');
    expect(r.code, r.err).toBe(ExitCode.ok);
    expect(r.errLines).toHaveLength(1);
    expect(r.errLines[0]).toMatch(
      /^note: checkpoints\/last\.ckpt is damaged \(.*\): resuming from checkpoints\/previous\.ckpt/,
    );
    expect(metrics(dir)).toEqual(metrics(original));
    expect(summaryOf(r.out)).toEqual(
      summaryOf(JSON.stringify(JSON.parse(readFileSync(join(original, 'summary.json'), 'utf8')))),
    );
  });

  it('emptied, with previous.ckpt bit-flipped: exit 3, one line naming both and what is kept', async () => {
    const dir = copy('both');
    writeFileSync(join(dir, 'checkpoints', 'last.ckpt'), '');
    const previous = join(dir, 'checkpoints', 'previous.ckpt');
    const bytes = readFileSync(previous);
    bytes[bytes.length - 3]! ^= 0x10;
    writeFileSync(previous, bytes);
    const r = await cli('resume', dir, '--no-report');
    expect(r.code, r.err).toBe(ExitCode.data);
    expect(r.errLines).toHaveLength(1);
    expect(r.errLines[0]).toContain(
      'last.ckpt is damaged (not a valid Regulab checkpoint (bad magic number))',
    );
    expect(r.errLines[0]).toContain(
      'previous.ckpt is damaged (not a valid Regulab checkpoint (checksum mismatch))',
    );
    expect(r.errLines[0]).toContain('The metrics so far are kept in');
    expect(metrics(dir)).toEqual(metrics(original)); // untouched
  });
});

describe('missing checkpoints', () => {
  it('are not silently restarted from: a note says the epochs are trained again', async () => {
    const dir = copy('no-checkpoints');
    rmSync(join(dir, 'checkpoints'), { recursive: true });
    const r = await cli('resume', dir, '--json', '--no-report');
    expect(r.code, r.err).toBe(ExitCode.ok);
    expect(r.errLines).toEqual([
      `note: ${join(dir, 'metrics.jsonl')} has epochs 1, 2, past the checkpoint's epoch 0: they are trained again (no checkpoint was found)`,
    ]);
    expect(metrics(dir)).toEqual(metrics(original));
  });
});

describe('metrics.jsonl', () => {
  it('a torn last line is dropped with a note', async () => {
    const dir = copy('torn');
    appendFileSync(join(dir, 'metrics.jsonl'), '{"epoch": 3, "split": "tra');
    const r = await cli('resume', dir, '--json', '--no-report');
    expect(r.code, r.err).toBe(ExitCode.ok);
    expect(r.errLines).toEqual([expect.stringMatching(/^note: .*metrics\.jsonl: dropped a torn last line/)]);
    expect(metrics(dir)).toEqual(metrics(original));
  });

  it('a bad line before the last is exit 3 naming the line', async () => {
    const dir = copy('bad-line');
    const file = join(dir, 'metrics.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[1] = 'garbage';
    writeFileSync(file, lines.join('\n'));
    const r = await cli('resume', dir, '--no-report');
    expect(r.code, r.err).toBe(ExitCode.data);
    expect(r.errLines).toEqual([
      expect.stringContaining('metrics.jsonl: line 2 is not a metrics row: "garbage"'),
    ]);
  });
});

describe('a failing disk', () => {
  it.each([
    ['ENOSPC', /last\.ckpt\.tmp/, 'the disk is full (ENOSPC)', "epoch 2's checkpoint"],
    ['EROFS', /metrics\.jsonl\.tmp/, 'the file system is read-only (EROFS)', "epoch 2's metrics"],
  ])(
    '%s: exit 1 in one line saying what was kept, no temp file, then resumes',
    async (code, file, words, what) => {
      const dir = join(root, `disk-${code}`);
      // The first save of the file works (epoch 1; for metrics, the empty file at the start too).
      disk.failing = { file, code, allowed: code === 'EROFS' ? 2 : 1 };
      let r;
      try {
        r = await cli('run', ...RUN, '--out', dir, '--json');
      } finally {
        disk.failing = undefined;
      }
      expect(r.code, r.err).toBe(ExitCode.runFailed);
      expect(r.errLines).toEqual([
        `regulab: error: could not save ${what} in ${dir}: ${words}; the checkpoint of epoch 1 is kept. ` +
          `Fix the cause, then run 'regulab resume ${dir}'.`,
      ]);
      expect(readdirSync(dir).filter((n) => n.includes('.tmp'))).toEqual([]);
      expect(readdirSync(join(dir, 'checkpoints'))).toEqual(['last.ckpt']);
      const again = await cli('resume', dir, '--json', '--no-report');
      expect(again.code, again.err).toBe(ExitCode.ok);
      expect(metrics(dir)).toEqual(metrics(original));
    },
  );
});
