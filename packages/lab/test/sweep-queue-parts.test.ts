/**
 * The parts of distributed sweeps that need no Redis: the `--queue` URL (the password never in
 * what is shown), what a worker accepts from a job, and the run lock that sweep workers on
 * several machines share (refreshed while held; another host's lock taken over once silent).
 */
import { mkdirSync, mkdtempSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors.js';
import { RunLockedError, lockRunDir } from '../src/store/run-lock.js';
import { jobId } from '../src/sweep/queue/jobs.js';
import { runDirOf } from '../src/sweep/queue/queue-worker.js';
import { parseRedisUrl, redact } from '../src/sweep/queue/redis-url.js';

describe('--queue URL', () => {
  it('reads host, port, database and password, and shows the URL without the password', () => {
    const t = parseRedisUrl('redis://:s%40cret@10.0.0.5:6380/2', {});
    expect(t).toEqual({
      host: '10.0.0.5',
      port: 6380,
      db: 2,
      password: 's@cret',
      display: 'redis://10.0.0.5:6380/2',
    });
    expect(parseRedisUrl('redis://lab1', {})).toEqual({
      host: 'lab1',
      port: 6379,
      db: 0,
      display: 'redis://lab1:6379',
    });
    // From the environment when the URL has none (so it need not be on the command line).
    expect(parseRedisUrl('redis://lab1:6379', { REGULAB_REDIS_PASSWORD: 'envpw' }).password).toBe('envpw');
    expect(redact('AUTH failed for envpw at lab1', 'envpw')).toBe('AUTH failed for *** at lab1');
  });

  it.each([
    ['not a url', /not a URL/],
    ['http://:pw@host:6379', /expected a redis:\/\/ URL, got the scheme http/],
    ['redis://:pw@host:6379/x', /database after the port must be a number/],
  ])('refuses %s without repeating it', (text, message) => {
    expect(() => parseRedisUrl(text, {})).toThrow(ConfigError);
    expect(() => parseRedisUrl(text, {})).toThrow(message);
    try {
      parseRedisUrl(text, {});
    } catch (e) {
      expect((e as Error).message).not.toContain('pw');
    }
  });
});

describe('what a worker accepts from a job', () => {
  const store = mkdtempSync(join(tmpdir(), 'regulab-store-'));
  mkdirSync(join(store, 'grid', 'c1-dropout=0', 'seed-1'), { recursive: true });
  writeFileSync(join(store, 'grid', 'c1-dropout=0', 'seed-1', 'config.json'), '{}');
  // A link inside the store that leads out of it.
  const outside = mkdtempSync(join(tmpdir(), 'regulab-outside-'));
  mkdirSync(join(outside, 'seed-1'));
  writeFileSync(join(outside, 'seed-1', 'config.json'), '{}');
  symlinkSync(outside, join(store, 'grid', 'c2-link'));

  it('a run directory of a sweep in the store, with its stop epoch', () => {
    const job = { sweep: 'grid', run: 'c1-dropout=0/seed-1', untilEpoch: 3 };
    expect(runDirOf(store, job)).toEqual({
      dir: join(store, 'grid', 'c1-dropout=0', 'seed-1'),
      untilEpoch: 3,
    });
    expect(jobId(job)).toBe('grid|c1-dropout=0/seed-1|3');
    expect(jobId({ sweep: 'grid', run: 'c1-dropout=0/seed-1' })).not.toContain(':');
  });

  it.each([
    [{ sweep: '..', run: 'c1/seed-1' }, /not a sweep run/],
    [{ sweep: 'grid', run: '../../etc/seed-1' }, /not a sweep run/],
    [{ sweep: 'grid', run: 'c1-dropout=0/seed-1', code: 'process.exit()' }, /not a sweep run/],
    [{ sweep: 'grid', run: 'c1-dropout=0/seed-1', untilEpoch: 'all' }, /not a sweep run/],
    [{ sweep: 'grid', run: 'c9/seed-1' }, /has no config\.json in the store/],
    [{ sweep: 'grid', run: 'c2-link/seed-1' }, /leads out of the store/],
  ])('refuses %j', (data, message) => {
    expect(() => runDirOf(store, data)).toThrow(message);
  });
});

describe('the run lock of sweep workers', () => {
  const lockedBy = (host: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'regulab-lock-'));
    writeFileSync(join(dir, 'lock'), JSON.stringify({ pid: 4242, host, started: '1' }));
    return dir;
  };
  const age = (file: string, ms: number) => {
    const then = new Date(Date.now() - ms);
    utimesSync(file, then, then);
  };

  it("takes over another host's lock once it has missed 4 heartbeats, not before", () => {
    const dir = lockedBy('another-machine');
    expect(() => lockRunDir(dir, { heartbeatMs: 1000 })).toThrow(RunLockedError);
    age(join(dir, 'lock'), 3_000);
    expect(() => lockRunDir(dir, { heartbeatMs: 1000 })).toThrow(
      /in use by process 4242 on host another-machine/,
    );
    age(join(dir, 'lock'), 5_000);
    const unlock = lockRunDir(dir, { heartbeatMs: 1000 });
    unlock();
    // Without heartbeats (regulab resume), another host's lock is never guessed stale.
    const other = lockedBy('another-machine');
    age(join(other, 'lock'), 3_600_000);
    expect(() => lockRunDir(other)).toThrow(RunLockedError);
  });

  it('refreshes the lock while held', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'regulab-lock-'));
    const unlock = lockRunDir(dir, { heartbeatMs: 20 });
    age(join(dir, 'lock'), 60_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(Date.now() - statSync(join(dir, 'lock')).mtimeMs).toBeLessThan(10_000);
    unlock();
  });
});
