/**
 * Runs a sweep's tasks on this machine: each in a child process (`regulab resume <run>
 * --no-report [--until-epoch n]`, variant-workers.ts), with `REGULAB_THREADS = cores / workers`;
 * or, when the lab runs from its TypeScript sources (tests) or with one worker, in this process.
 * Ctrl-C is passed on to the children once, so each stops at its next batch with its checkpoint.
 */
import type { ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { ExitCode, InterruptedError, RunFailedError } from '../errors.js';
import { continueRun } from '../experiments/runner.js';
import { FROM_SOURCES, runChild } from '../experiments/variant-workers.js';
import type { Executor } from './pool.js';

const silent = { start() {}, update() {}, stop() {} };

/** An executor for the sweep in `dir` with `workers` runs at a time; `close` stops forwarding Ctrl-C. */
export function localExecutor(
  dir: string,
  workers: number,
  interrupted?: () => boolean,
): { execute: Executor; close: () => void } {
  if (FROM_SOURCES || workers <= 1) {
    return {
      execute: async (task) => {
        await continueRun(join(dir, task.key), {
          progress: silent,
          report: false,
          untilEpoch: task.untilEpoch,
          interrupted,
        });
      },
      close: () => {},
    };
  }
  const threads = Math.max(1, Math.floor(availableParallelism() / workers));
  const children = new Set<ChildProcess>();
  let forwarded = false;
  const forward = setInterval(() => {
    if (forwarded || !interrupted?.()) return;
    forwarded = true;
    for (const child of children) child.kill('SIGINT');
  }, 50);
  return {
    execute: async (task) => {
      const run = join(dir, task.key);
      const args = task.untilEpoch === undefined ? [] : ['--until-epoch', String(task.untilEpoch)];
      const { code, error } = await runChild(run, threads, children, undefined, args);
      if (code === ExitCode.interrupted) throw new InterruptedError(run);
      if (error !== undefined) throw new RunFailedError(error, run);
    },
    close: () => clearInterval(forward),
  };
}
