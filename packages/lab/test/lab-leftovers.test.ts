/**
 * What crashes leave behind: temporary files of interrupted atomic writes are deleted when the run
 * is next used, a run that failed while being set up leaves no directory, `list` tells runs that
 * can resume from those that never started, and a lock whose pid was reused (or that cannot be
 * checked) does not block the run forever without a word.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../src/errors.js';
import { cli } from './cli-in-process.js';
import { finishedRun } from './finished-run.js';

const hasProc = existsSync('/proc/self/stat');
let root: string;
let original: string;
/** A copy of the finished original run. */
let copy: (name: string) => string;

beforeAll(async () => {
  ({ root, original, copy } = await finishedRun('regulab-leftovers-', [
    'charlm',
    '--preset',
    'quick',
    '--epochs',
    '1',
  ]));
}, 60_000);

/** The start time of process `pid` as /proc shows it (field 22 of its stat). */
function startOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

describe('leftovers of killed writes', () => {
  it('temporary files of atomic writes are deleted on the next resume; other files are kept', async () => {
    const dir = copy('temps');
    const temps = [
      '.summary.json.tmp-99999-0',
      join('checkpoints', '.last.ckpt.tmp-99999-1'),
      join('plots', 'learning-curves.svg.99999-k3j2h1.tmp'), // the reports' former writer
    ];
    for (const t of temps) writeFileSync(join(dir, t), 'partial');
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const r = await cli('resume', dir, '--json', '--no-report');
    expect(r.code, r.err).toBe(ExitCode.ok);
    for (const t of temps) expect(existsSync(join(dir, t)), t).toBe(false);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('a run that fails during set-up (no data) leaves no directory behind', async () => {
    const dir = join(root, 'no-data', 'run');
    const r = await cli('run', 'smnist', '--preset', 'quick', '--data', join(root, 'nowhere'), '--out', dir);
    expect(r.code, r.err).toBe(ExitCode.data);
    expect(existsSync(dir)).toBe(false);
  });
});

describe('list', () => {
  it('says "not started" for a run set up but never trained, and refuses a missing directory', async () => {
    const parent = join(root, 'listing');
    mkdirSync(join(parent, 'fresh'), { recursive: true });
    cpSync(join(original, 'config.json'), join(parent, 'fresh', 'config.json'));
    cpSync(original, join(parent, 'done'), { recursive: true });
    const r = await cli('list', parent);
    expect(r.code, r.err).toBe(ExitCode.ok);
    expect(
      r.lines.filter((l) => l.startsWith('  ') && l.includes(parent)).map((l) => l.trim().split(/\s+/)[0]),
    ).toEqual(['finished', 'not']);
    expect(r.out).toMatch(/not started\s+charlm/);
    const missing = await cli('list', join(root, 'nonexistent'));
    expect(missing.code).toBe(ExitCode.usage);
    expect(missing.errLines).toEqual([`regulab: error: ${join(root, 'nonexistent')} is not a directory`]);
  });
});

describe('the run lock', () => {
  it.skipIf(!hasProc)(
    'a lock whose pid now belongs to a process started at another time is stale',
    async () => {
      const dir = copy('reused-pid');
      const owner = {
        pid: process.ppid,
        host: hostname(),
        started: String(Number(startOf(process.ppid)) + 1),
      };
      writeFileSync(join(dir, 'lock'), JSON.stringify(owner));
      const r = await cli('resume', dir, '--json', '--no-report');
      expect(r.code, r.err).toBe(ExitCode.ok);
      expect(existsSync(join(dir, 'lock'))).toBe(false);
    },
  );

  it.skipIf(!hasProc)('a live owner blocks with exit 2 and says how to remove the lock', async () => {
    const dir = copy('live-owner');
    const lock = join(dir, 'lock');
    writeFileSync(
      lock,
      JSON.stringify({ pid: process.ppid, host: hostname(), started: startOf(process.ppid) }),
    );
    const r = await cli('resume', dir, '--no-report');
    expect(r.code).toBe(ExitCode.usage);
    expect(r.errLines).toEqual([
      `regulab: error: ${dir} is in use by process ${process.ppid} (another run or resume of it); ` +
        `if no run or resume of it is running, delete ${lock}`,
    ]);
  });

  it('an old-style lock holding a live pid (echo 1 > lock) is refused with the hint, not forever silently', async () => {
    const dir = copy('old-lock');
    writeFileSync(join(dir, 'lock'), '1\n');
    const r = await cli('resume', dir, '--no-report');
    expect(r.code).toBe(ExitCode.usage);
    expect(r.errLines).toHaveLength(1);
    expect(r.errLines[0]).toContain('may be an unrelated process that reused the pid');
    expect(r.errLines[0]).toContain(`delete ${join(dir, 'lock')}`);
    expect(readdirSync(dir)).toContain('lock'); // not ours to remove
  });
});
