/**
 * The sweep's side of a queue (`regulab sweep … --queue redis://…`): each task becomes a BullMQ
 * job (jobs.ts) and the sweep waits for its result through QueueEvents. The sweep directory must
 * lie in the store the workers share (`regulab worker --store <its parent>`).
 *
 * Faults, as BullMQ handles them with these settings:
 * - a worker killed mid-run stops renewing the job's lock; after --lock-seconds another worker's
 *   stalled-job check puts the job back, and the next worker resumes the run from its checkpoint
 *   in the shared store (at most MAX_STALLS times, then the job fails);
 * - a job whose processing throws is retried up to ATTEMPTS times in all, a second apart; a run
 *   that diverges or a config that fails validation is not retried (the same input fails again);
 * - with successive halving a promotion has a higher priority than a new trial, so it overtakes
 *   the trials already waiting, and the workers are never idle while a promotion is due;
 * - a sweep restarted re-adds its jobs under the same ids: BullMQ keeps one job per id, so a
 *   finished run is not trained again, and a failed one is retried only when its run directory
 *   has no result (it crashed rather than failed).
 */
import { basename, dirname, join } from 'node:path';
import { Job, Queue, QueueEvents } from 'bullmq';
import { InterruptedError, RunFailedError } from '../../errors.js';
import { readRunState } from '../run-state.js';
import type { SweepExecutor } from '../sweep-runner.js';
import { checkRedis, connectionOptions } from './connect.js';
import { jobId, QUEUE_NAME, type SweepJob } from './jobs.js';
import type { RedisTarget } from './redis-url.js';

/** Tries of a job (BullMQ `attempts`) and stalls tolerated (a worker's `maxStalledCount`). */
export const ATTEMPTS = 3;
export const MAX_STALLS = 2;

/** How many jobs the sweep keeps on the queue at once (the workers take them as they are free). */
const IN_FLIGHT = 256;

export async function queueExecutor(
  target: RedisTarget,
  dir: string,
  log: (line: string) => void,
  interrupted?: () => boolean,
): Promise<SweepExecutor> {
  await checkRedis(target);
  const connection = connectionOptions(target);
  const queue = new Queue<SweepJob>(QUEUE_NAME, { connection });
  const events = new QueueEvents(QUEUE_NAME, { connection });
  await events.waitUntilReady();
  const sweep = basename(dir);
  const stalled = (id: string) =>
    id.startsWith(`${sweep}|`) &&
    log(`${id.split('|')[1]}: its worker stopped answering; the run goes back to the queue`);
  events.on('stalled', ({ jobId: id }) => stalled(id));
  const retried: string[] = [];
  return {
    concurrency: IN_FLIGHT,
    notes: () =>
      retried.length === 0
        ? []
        : [
            `${retried.length} run(s) were retried before they ended (attempts bounded to ${ATTEMPTS}, stalls to ${MAX_STALLS}): ${retried.join('; ')}.`,
          ],
    where: `on the queue ${QUEUE_NAME} at ${target.display} for 'regulab worker --queue <url> --store ${dirname(dir)}'`,
    execute: async (task) => {
      const data: SweepJob = {
        sweep,
        run: task.key,
        ...(task.untilEpoch ? { untilEpoch: task.untilEpoch } : {}),
      };
      const id = jobId(data);
      let job = await queue.add('run', data, {
        jobId: id,
        attempts: ATTEMPTS,
        backoff: { type: 'fixed', delay: 1000 },
        ...(task.priority === undefined ? {} : { priority: task.priority }),
      });
      if ((await job.getState()) === 'failed' && readRunState(join(dir, task.key)).status === undefined) {
        await job.retry('failed'); // failed in an earlier sweep without a result: try again
        job = (await Job.fromId<SweepJob>(queue, id)) ?? job;
      }
      const wait = job.waitUntilFinished(events);
      // Ctrl-C stops waiting (the workers go on; the sweep picks the results up when restarted).
      const stop = new Promise<never>((_, reject) => {
        const poll = setInterval(() => {
          if (interrupted?.()) {
            clearInterval(poll);
            reject(new InterruptedError(dir));
          }
        }, 100);
        void wait.finally(() => clearInterval(poll)).catch(() => {});
      });
      try {
        await Promise.race([wait, stop]);
      } catch (e) {
        if (e instanceof InterruptedError) throw e;
        throw new RunFailedError(e instanceof Error ? e.message : String(e), join(dir, task.key));
      }
      const done = await Job.fromId(queue, id);
      if (done && (done.attemptsMade > 1 || done.stalledCounter > 0)) {
        const note = `${task.key}: ${done.attemptsMade} attempt(s), ${done.stalledCounter} stall(s)`;
        retried.push(note);
        log(`${note}, then done`);
      }
    },
    close: async () => {
      await events.close();
      await queue.close();
    },
  };
}
