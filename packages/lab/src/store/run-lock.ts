/**
 * One process at a time per run directory: `<dir>/lock`, created with O_EXCL, holds its owner as
 * JSON: `{ "pid": 4242, "host": "lab1", "started": "8812345" }` (`started`: the process's start
 * time in clock ticks since boot, from /proc on Linux). A lock whose process is gone (a run killed
 * with SIGKILL), or whose pid now belongs to a process started at another time (the pid was
 * reused after a reboot or a long time), is stale and taken over, so a crash never blocks
 * `regulab resume`; a live owner makes a second `run`/`resume` fail with a ConfigError instead
 * of two writers corrupting each other's checkpoints. Where the owner cannot be checked (another
 * host, an older lock holding only a pid), the error says how to remove the lock.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';

interface LockOwner {
  pid: number;
  host?: string;
  started?: string;
}

/**
 * Takes the lock of `dir`; returns the function that releases it. `takeOverOtherHosts`: a lock
 * held by a process on another host is treated as stale (for a caller that holds the run by other
 * means, such as a sweep worker holding the queue's lock on the run's job).
 */
export function lockRunDir(dir: string, opts: { takeOverOtherHosts?: boolean } = {}): () => void {
  const file = join(dir, 'lock');
  const me: LockOwner = { pid: process.pid, host: hostname(), started: processStart(process.pid) };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = readOwner(file);
      const elsewhere = owner?.host !== undefined && owner.host !== me.host;
      const problem = elsewhere && opts.takeOverOtherHosts ? undefined : ownerProblem(owner, me);
      if (problem !== undefined) {
        throw new ConfigError(
          `${dir} is in use by ${problem}; if no run or resume of it is running, delete ${file}`,
        );
      }
      rmSync(file, { force: true }); // stale: its process is gone
    }
  }
  throw new ConfigError(`${dir}: could not take the run lock (${file})`);
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
