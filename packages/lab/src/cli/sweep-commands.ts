/**
 * What `regulab sweep` and `regulab worker` do once commander has parsed them (sweep-program.ts);
 * the sweep itself is in ../sweep/.
 */
import { resolve } from 'node:path';
import type { OptionKey } from '../config/options.js';
import { ConfigError } from '../errors.js';
import { interruptPoll } from './interrupt.js';
import type { Io } from './commands.js';

export interface SweepArgs {
  grid: string[];
  range: string[];
  search: 'grid' | 'random';
  trials?: number;
  seeds: number;
  halving?: { rungEpochs: number; reduction: number };
  workers?: number;
  queue?: string;
  preset: string;
  out?: string;
  json: boolean;
  overrides: Partial<Record<OptionKey, unknown>>;
}

export interface SweepCommands {
  sweep(target: string, args: SweepArgs): Promise<void>;
  /** Continues the sweep in `dir` on this machine (`regulab resume <sweep-dir>`). */
  sweepResume(dir: string, args: { json: boolean; workers?: number }): Promise<void>;
  sweepStatus(dir: string, args: { json: boolean }): Promise<void>;
  worker(args: { queue: string; store: string; lockSeconds: number; json: boolean }): Promise<void>;
}

// Loaded when a command runs, as commands.ts does (tfjs and the report renderer are heavy).
const runner = () => import('../sweep/sweep-runner.js');

export function sweepCommands(io: Io): SweepCommands {
  const print = async (json: boolean, s: import('../sweep/sweep-runner.js').SweepSummary) => {
    if (json) return io.stdout(JSON.stringify(s));
    const { metricInfo } = await import('../report/metrics.js');
    const format = metricInfo(s.metric as Parameters<typeof metricInfo>[0]).format;
    for (const line of (await runner()).summaryLines(s, format)) io.stdout(line);
  };
  const options = (json: boolean, workers?: number) => ({
    workers,
    progress: !json,
    log: json ? undefined : io.stdout,
    interrupted: interruptPoll(),
  });

  return {
    async sweep(target, args) {
      const { parseGridAxis, parseRangeAxis } = await import('../sweep/axes.js');
      const { resolveSweep } = await import('../sweep/sweep-config.js');
      const { startSweep, defaultSweepDir } = await runner();
      if (args.out !== undefined && args.out.trim() === '')
        throw new ConfigError('--out: an empty path; give a directory name');
      if (args.queue !== undefined && args.workers !== undefined)
        throw new ConfigError(
          "--workers applies to a sweep on this machine; with --queue, start 'regulab worker's",
        );
      const sweep = resolveSweep({
        target,
        preset: args.preset,
        overrides: args.overrides,
        grid: args.grid.map(parseGridAxis),
        ranges: args.range.map(parseRangeAxis),
        search: args.search,
        trials: args.trials,
        seeds: args.seeds,
        halving: args.halving,
      });
      const dir = resolve(args.out ?? defaultSweepDir(sweep));
      if (!args.json) io.stdout(`sweep of ${target} → ${dir}`);
      const opts = options(args.json, args.workers);
      const queue = args.queue;
      const executor = queue
        ? async (d: string) => {
            const { parseRedisUrl } = await import('../sweep/queue/redis-url.js');
            const { queueExecutor } = await import('../sweep/queue/queue-executor.js');
            return queueExecutor(parseRedisUrl(queue), d, opts.log ?? (() => {}), opts.interrupted);
          }
        : undefined;
      await print(args.json, await startSweep(sweep, dir, { ...opts, executor }));
    },

    async sweepResume(dir, { json, workers }) {
      const { continueSweep } = await runner();
      await print(json, await continueSweep(resolve(dir), options(json, workers)));
    },

    async sweepStatus(dir, { json }) {
      const { isSweepDir } = await import('../sweep/sweep-dir.js');
      if (!isSweepDir(dir)) throw new ConfigError(`${resolve(dir)} is not a sweep directory (no sweep.json)`);
      const { sweepStatus } = await import('../sweep/sweep-status.js');
      const s = sweepStatus(resolve(dir));
      if (json) return io.stdout(JSON.stringify(s));
      io.stdout(`sweep of ${s.target} over ${s.axes.join(' × ')}: ${s.sweepDir}`);
      io.stdout(
        `  runs: ${s.finished} finished, ${s.failed} failed, ${s.started.length} part-trained, ${s.notStarted} not started (of ${s.runs})`,
      );
      io.stdout(`  epochs: ${s.epochs.done} of about ${s.epochs.planned} planned`);
      for (const r of s.rungs ?? [])
        io.stdout(`  rung at epoch ${r.epoch}: ${r.trials} trial(s) stopped there or training on`);
      for (const r of s.started) io.stdout(`  ${r.run}: ${r.epochs} epoch(s)`);
      io.stdout(s.reported ? `  ended; report: ${resolve(dir, 'report.html')}` : '  not ended');
    },

    async worker({ queue, store, lockSeconds, json }) {
      const { parseRedisUrl } = await import('../sweep/queue/redis-url.js');
      const { runWorker } = await import('../sweep/queue/queue-worker.js');
      const log = (line: string) =>
        io.stdout(json ? JSON.stringify({ time: new Date().toISOString(), message: line }) : line);
      await runWorker(parseRedisUrl(queue), { store, lockSeconds, log, interrupted: interruptPoll() });
    },
  };
}
