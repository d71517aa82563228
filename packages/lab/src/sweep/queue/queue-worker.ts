/**
 * `regulab worker --queue redis://… --store <dir>`: takes runs of sweeps from the queue, one at a
 * time, and trains each in this process from its run directory in the shared store — resuming
 * from the run's checkpoint when another worker had started it — then reports the result back
 * through the queue. One worker trains one run at a time (tfjs's CPU backend is single-threaded):
 * start one per core.
 *
 * What a worker accepts (jobs.ts): a job naming a run directory inside the store, whose
 * config.json passes the run schema (a registered task, every option valid); anything else is
 * rejected without running and the job fails with the reason, unretried. A run that diverges is
 * not retried either; other errors (a full disk) are, up to the job's attempts.
 */
import { existsSync, realpathSync } from 'node:fs';
import { hostname } from 'node:os';
import { relative, resolve, sep } from 'node:path';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import { ConfigError, RunFailedError } from '../../errors.js';
import { continueRun, type RunOptions, type RunSummary } from '../../experiments/runner.js';
import { runPaths } from '../../store/run-dir.js';
import { RunLockedError } from '../../store/run-lock.js';
import { checkRedis, connectionOptions } from './connect.js';
import { MAX_STALLS } from './queue-executor.js';
import { QUEUE_NAME, SweepJobSchema, type SweepJobResult } from './jobs.js';
import { redact, type RedisTarget } from './redis-url.js';

export interface WorkerOptions {
  /** The store holding the sweeps' directories. */
  store: string;
  /** Seconds without a lock renewal before a run is given to another worker. */
  lockSeconds: number;
  log: (line: string) => void;
  /** Polled between batches: true stops the run in hand (its checkpoint kept) and the worker. */
  interrupted: () => boolean;
}

const silent = { start() {}, update() {}, stop() {} };

/** The run directory a job names, checked to lie inside the store; throws UnrecoverableError. */
export function runDirOf(store: string, data: unknown): { dir: string; untilEpoch?: number } {
  const parsed = SweepJobSchema.safeParse(data);
  if (!parsed.success)
    throw new UnrecoverableError(`rejected: not a sweep run (${parsed.error.issues[0]!.message})`);
  const root = realpathSync(store);
  const dir = resolve(root, parsed.data.sweep, parsed.data.run);
  if (!existsSync(runPaths(dir).config))
    throw new UnrecoverableError(
      `rejected: ${parsed.data.sweep}/${parsed.data.run} has no config.json in the store ${root}`,
    );
  const real = realpathSync(dir);
  if (relative(root, real).startsWith('..') || !real.startsWith(root + sep))
    throw new UnrecoverableError(`rejected: ${parsed.data.sweep}/${parsed.data.run} leads out of the store`);
  return { dir: real, untilEpoch: parsed.data.untilEpoch };
}

/**
 * continueRun, waiting while another live process holds the run: a worker the queue wrongly
 * thought dead (a stall) finishing it. Once it lets go, the run is resumed or found finished.
 */
async function trainHoldingLock(dir: string, opts: RunOptions): Promise<RunSummary> {
  let told = false;
  for (;;) {
    try {
      return await continueRun(dir, opts);
    } catch (e) {
      if (!(e instanceof RunLockedError) || opts.interrupted?.()) throw e;
      if (!told) opts.log?.(`waiting: ${e.message}`);
      told = true;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** Runs the worker until interrupted; resolves when it has stopped. */
export async function runWorker(target: RedisTarget, opts: WorkerOptions): Promise<void> {
  if (!existsSync(opts.store)) throw new ConfigError(`--store ${opts.store}: no such directory`);
  await checkRedis(target);
  const me = `${hostname()}:${process.pid}`;
  const processor = async (job: Job): Promise<SweepJobResult> => {
    const { dir, untilEpoch } = runDirOf(opts.store, job.data);
    const name = relative(opts.store, dir);
    opts.log(
      `${name}: taken${untilEpoch ? ` (to epoch ${untilEpoch})` : ''}, attempt ${job.attemptsMade + 1}`,
    );
    try {
      const s = await trainHoldingLock(dir, {
        progress: silent,
        report: false,
        untilEpoch,
        interrupted: opts.interrupted,
        lockHeartbeatMs: (opts.lockSeconds * 1000) / 2,
        log: (line) => opts.log(`${name}: ${line}`),
      });
      opts.log(`${name}: ${s.status} after epoch ${s.epochs}`);
      return {
        status: s.status === 'paused' ? 'paused' : 'finished',
        epochs: s.epochs,
        bestValid: s.bestValid,
        metric: s.metric,
        worker: me,
      };
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      opts.log(`${name}: failed: ${message}`);
      // The same input would fail the same way: no retry.
      if (e instanceof RunFailedError || e instanceof ConfigError) throw new UnrecoverableError(message);
      throw e;
    }
  };
  const worker = new Worker(QUEUE_NAME, processor, {
    connection: connectionOptions(target),
    concurrency: 1,
    lockDuration: opts.lockSeconds * 1000,
    stalledInterval: Math.max(1000, (opts.lockSeconds * 1000) / 2),
    maxStalledCount: MAX_STALLS,
  });
  worker.on('error', (e) => opts.log(`queue: ${redact(e.message, target.password)}`));
  await worker.waitUntilReady();
  opts.log(`worker ${me} on ${target.display}, store ${resolve(opts.store)}: waiting for runs`);
  await new Promise<void>((done) => {
    const poll = setInterval(() => {
      if (!opts.interrupted()) return;
      clearInterval(poll);
      // The run in hand has stopped at its checkpoint: its job goes back to the queue once its
      // lock expires, and another worker (or this one, restarted) resumes it.
      void worker.close(true).then(done, done);
    }, 100);
  });
}
