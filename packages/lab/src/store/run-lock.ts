/**
 * One process at a time per run directory: `<dir>/lock`, created with O_EXCL, holds its owner as
 * JSON: `{ "pid": 4242, "host": "lab1", "started": "8812345" }` (`started`: the process's start
 * time in clock ticks since boot, from /proc on Linux). A lock whose process is gone (a run killed
 * with SIGKILL), or whose pid now belongs to a process started at another time (the pid was
 * reused after a reboot or a long time), is stale and taken over, so a crash never blocks
 * `regulab resume`; a live owner makes a second `run`/`resume` fail with a ConfigError instead
 * of two writers corrupting each other's checkpoints. Where the owner cannot be checked (another
 * host, an older lock holding only a pid), the error says how to remove the lock.
 *
 * Sweep workers on several machines (`heartbeatMs`) also refresh the lock file's modification time
 * every `heartbeatMs` while they hold it, and take over a lock of another host that has not been
 * refreshed for HEARTBEATS_MISSED × `heartbeatMs`: its worker died with the machine or was killed.
 */
import { closeSync, openSync, readFileSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';

/** A run directory another live process holds (a ConfigError: exit 2 on the command line). */
export class RunLockedError extends ConfigError {
  constructor(message: string) {
    super(message);
    this.name = 'RunLockedError';
  }
}

/** Heartbeats a lock of another host may miss before it counts as stale. */
const HEARTBEATS_MISSED = 4;

interface LockOwner {
  pid: number;
  host?: string;
  started?: string;
}

/**
 * Takes the lock of `dir`; returns the function that releases it. With `heartbeatMs`, the lock is
 * kept fresh while held and a stale lock of another host is taken over (module doc).
 */
export function lockRunDir(dir: string, opts: { heartbeatMs?: number } = {}): () => void {
  const file = join(dir, 'lock');
  const me: LockOwner = { pid: process.pid, host: hostname(), started: processStart(process.pid) };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      const beat =
        opts.heartbeatMs === undefined ? undefined : setInterval(() => touch(file), opts.heartbeatMs);
      beat?.unref();
      return () => {
        clearInterval(beat);
        rmSync(file, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = readOwner(file);
      const silent = opts.heartbeatMs !== undefined && age(file) > HEARTBEATS_MISSED * opts.heartbeatMs;
      const elsewhere = owner?.host !== undefined && owner.host !== me.host;
      const problem = elsewhere && silent ? undefined : ownerProblem(owner, me);
      if (problem !== undefined) {
        throw new RunLockedError(
          `${dir} is in use by ${problem}; if no run or resume of it is running, delete ${file}`,
        );
      }
      rmSync(file, { force: true }); // stale: its process is gone
    }
  }
  throw new ConfigError(`${dir}: could not take the run lock (${file})`);
}

function touch(file: string): void {
  try {
    const now = new Date();
    utimesSync(file, now, now);
  } catch {
    // removed under us: the next take of the lock says so
  }
}

/** Milliseconds since the file was last modified (0 if it is gone). */
function age(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/** Why the lock's owner may still hold it, or undefined when the lock is stale. */
function ownerProblem(owner: LockOwner | undefined, me: LockOwner): string | undefined {
  if (owner === undefined) return undefined; // unreadable: a lock cut short by a crash
  if (owner.host !== undefined && owner.host !== me.host)
    return `process ${owner.pid} on host ${owner.host}, which cannot be checked from here`;
  if (owner.pid === me.pid || !alive(owner.pid)) return undefined;
  if (owner.started === undefined)
    return `process ${owner.pid} (the lock does not say when it started, so it may be an unrelated process that reused the pid)`;
  const started = processStart(owner.pid);
  if (started !== undefined && started !== owner.started) return undefined; // the pid was reused
  return `process ${owner.pid} (another run or resume of it)`;
}

function readOwner(file: string): LockOwner | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
  if (/^\d+$/.test(text)) return { pid: Number(text) }; // written by an older version
  try {
    const owner = JSON.parse(text) as Partial<LockOwner>;
    return Number.isInteger(owner.pid) && owner.pid! > 0 ? (owner as LockOwner) : undefined;
  } catch {
    return undefined;
  }
}

/** The start time of process `pid` in clock ticks since boot (Linux), or undefined. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After "pid (command) ", field 3 (state) comes first; starttime is field 22.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[22 - 3];
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
