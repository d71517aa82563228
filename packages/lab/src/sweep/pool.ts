/**
 * The loop that drives a sweep: it asks the scheduler for work while fewer than `concurrency`
 * tasks run, hands each task to the executor (child processes of this machine, or a BullMQ queue),
 * and asks again whenever one ends, until the scheduler has nothing left and nothing runs.
 *
 * A task that fails (a diverged run, a config the worker rejected, retries used up) is recorded
 * and never handed out again in this pass; an interruption (Ctrl-C) lets the running tasks stop at
 * their next batch and then ends the pass with InterruptedError, the sweep resumable.
 */
import { InterruptedError } from '../errors.js';

/** One piece of work: train the run `key` (`<cell>/seed-<s>`) to its end, or to `untilEpoch`. */
export interface SweepTask {
  key: string;
  untilEpoch?: number;
  /**
   * Successive halving: 1 for the last rung, 2 for the one before, … — a queue hands out the
   * lower numbers first, so a promotion overtakes new trials already waiting.
   */
  priority?: number;
}

/** Picks the next task; `running` and `failed` hold run keys. Undefined: nothing to start now. */
export type Scheduler = (running: ReadonlySet<string>, failed: ReadonlySet<string>) => SweepTask | undefined;

/** Runs one task to its end (resolves), or fails (rejects: InterruptedError when interrupted). */
export type Executor = (task: SweepTask) => Promise<void>;

export interface PoolHooks {
  /** Called after each task ends; `error` says why it failed. */
  onDone?: (task: SweepTask, error?: string) => void;
  interrupted?: () => boolean;
}

/** Runs the scheduler's tasks to the end; returns the failures by run key. */
export async function drive(
  next: Scheduler,
  execute: Executor,
  concurrency: number,
  hooks: PoolHooks = {},
): Promise<Map<string, string>> {
  const running = new Map<string, Promise<void>>();
  const failed = new Map<string, string>();
  let interrupted = false;
  const keys = () => new Set(running.keys());
  for (;;) {
    interrupted ||= hooks.interrupted?.() === true;
    while (!interrupted && running.size < concurrency) {
      const task = next(keys(), new Set(failed.keys()));
      if (task === undefined) break;
      const done = execute(task).then(
        () => hooks.onDone?.(task),
        (e: unknown) => {
          if (e instanceof InterruptedError) interrupted = true;
          else {
            const message = e instanceof Error ? e.message : String(e);
            failed.set(task.key, message);
            hooks.onDone?.(task, message);
          }
        },
      );
      running.set(
        task.key,
        done.finally(() => running.delete(task.key)),
      );
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  if (interrupted) throw new InterruptedError('sweep');
  return failed;
}
