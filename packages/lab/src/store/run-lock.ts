/**
 * One process at a time per run directory: `<dir>/lock` holds the owner's pid, created with
 * O_EXCL. A lock whose process is gone (a run killed with SIGKILL) is stale and taken over, so a
 * crash never blocks `regulab resume`; a live owner makes a second `run`/`resume` fail with a
 * ConfigError instead of two writers corrupting each other's checkpoints.
 */
import { openSync, closeSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';

/** Takes the lock of `dir`; returns the function that releases it. */
export function lockRunDir(dir: string): () => void {
  const file = join(dir, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number(readFileSync(file, 'utf8'));
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new ConfigError(
          `${dir} is in use by process ${owner} (another run or resume of it is running)`,
        );
      }
      rmSync(file, { force: true }); // stale: its process is gone
    }
  }
  throw new ConfigError(`${dir}: could not take the run lock`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
