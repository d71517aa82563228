/**
 * What each `regulab` command does, once commander has parsed it. Human output goes to stdout
 * (progress bars to stderr); with `--json` stdout carries exactly one JSON line.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EXPERIMENTS, type OptionKey } from '../config/options.js';
import { DEFINITIONS, findDefinition } from '../experiments/definitions/index.js';
import type { JobSummary } from '../experiments/experiment-runner.js';
import { PRESETS } from '../experiments/presets.js';
import type { RunOptions, RunSummary } from '../experiments/runner.js';
import { ConfigError } from '../errors.js';
import { readMetrics } from '../store/metrics-log.js';
import { defaultRunDir, readJson, type RunPaths, runPaths } from '../store/run-dir.js';
import { isSweepDir } from '../sweep/sweep-dir.js';
import { progressBar } from '../train/progress.js';
import { interruptPoll } from './interrupt.js';
import { type SweepCommands, sweepCommands } from './sweep-commands.js';
import { DESCRIPTIONS } from './program.js';

export interface Io {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
}

export interface RunArgs {
  preset: string;
  out: string | undefined;
  json: boolean;
  workers: number | undefined;
  /** Runs of every variant of an experiment, with seeds --seed, --seed + 1, … */
  seeds: number | undefined;
  overrides: Partial<Record<OptionKey, unknown>>;
}

export interface Commands extends SweepCommands {
  run(experiment: string, args: RunArgs): Promise<void>;
  resume(
    dir: string,
    args: { json: boolean; workers?: number; report?: boolean; untilEpoch?: number },
  ): Promise<void>;
  report(
    dirs: string[],
    args: { out?: string; title?: string; baseline?: string; json: boolean },
  ): Promise<void>;
  list(dir: string | undefined, args: { json: boolean }): Promise<void>;
  bench(argv: string[]): Promise<void>;
}

// The commands that train or report load TensorFlow.js, the models and the report renderer when
// they run, so `--help`, `--version` and `list` start in a fraction of the time.
const experimentConfig = () => import('../experiments/experiment-config.js');
const experimentRunner = () => import('../experiments/experiment-runner.js');
const runner = () => import('../experiments/runner.js');

export function commands(io: Io): Commands {
  const runOptions = (json: boolean): RunOptions => ({
    progress: progressBar(!json),
    log: json ? undefined : io.stdout,
    warn: io.stderr,
    interrupted: interruptPoll(),
  });
  const finish = (json: boolean, summary: object, human: string) =>
    io.stdout(json ? JSON.stringify(summary) : human);

  return {
    ...sweepCommands(io),

    async run(experiment, { preset, out, json, workers, seeds, overrides }) {
      refuseEmpty('--out', out);
      const definition = findDefinition(experiment);
      if (definition) {
        const { resolveExperiment } = await experimentConfig();
        const { startExperiment } = await experimentRunner();
        const job = resolveExperiment(definition, preset, overrides, seeds);
        const dir = out ?? defaultRunDir(definition.name, job.variants[0]!.config.seed);
        if (!json) io.stdout(`${definition.name} → ${resolve(dir)} (kernels: ${job.kernelBackend})`);
        if (!json && job.kernelBackend === 'reference' && preset === 'default') {
          io.stdout(
            'note: the fused kernels are not available, so the tfjs reference path runs a smaller model on less data',
          );
        }
        const s = await startExperiment(job, dir, { ...runOptions(json), workers });
        finish(json, s, jobTable(s));
        return;
      }
      const experiments = DEFINITIONS.map((d) => d.name).join(', ');
      if (workers !== undefined)
        throw new ConfigError(`--workers applies to experiments with variants (${experiments})`);
      if (seeds !== undefined)
        throw new ConfigError(
          `--seeds applies to experiments with variants (${experiments}); for one ${experiment} run choose its seed with --seed`,
        );
      const { resolveConfig } = await import('../experiments/config.js');
      const { startRun } = await runner();
      const config = resolveConfig(experiment, preset, overrides);
      const dir = out ?? defaultRunDir(experiment, config.seed);
      if (!json) io.stdout(`${experiment} (preset ${preset}) → ${resolve(dir)}`);
      const s = await startRun(config, dir, runOptions(json));
      finish(json, s, `${resultLine(s)}\n${s.runDir}`);
    },

    async resume(dir, { json, workers, report, untilEpoch }) {
      if (isSweepDir(dir)) {
        if (untilEpoch !== undefined)
          throw new ConfigError('--until-epoch applies to one run directory, not to a sweep');
        await this.sweepResume(dir, { json, workers });
        return;
      }
      if (!existsSync(runPaths(dir).config))
        throw new ConfigError(`${resolve(dir)} is not a run directory (no config.json)`);
      const { isExperimentDir } = await experimentConfig();
      const { continueExperiment } = await experimentRunner();
      const { continueRun } = await runner();
      if (isExperimentDir(dir)) {
        if (untilEpoch !== undefined)
          throw new ConfigError('--until-epoch applies to one run directory, not to an experiment job');
        const s = await continueExperiment(dir, { ...runOptions(json), workers });
        finish(json, s, jobTable(s));
        return;
      }
      const s = await continueRun(dir, { ...runOptions(json), report, untilEpoch });
      finish(
        json,
        s,
        `${s.status === 'paused' ? `paused after epoch ${s.epochs}; ` : ''}${resultLine(s)}\n${s.runDir}`,
      );
    },

    async report(dirs, { out, title, baseline, json }) {
      refuseEmpty('--out', out);
      // An experiment job's directory (compare, …) stands for its runs, as for resume.
      const { isExperimentDir, jobRunDirs } = await experimentConfig();
      const { writeRunReport } = await import('../experiments/reporting.js');
      const runs = dirs.flatMap((d) => (isExperimentDir(d) ? jobRunDirs(resolve(d)) : [resolve(d)]));
      for (const d of runs)
        if (!existsSync(runPaths(d).metrics))
          throw new ConfigError(`${d} is not a run directory (no metrics.jsonl)`);
      if (dirs.length > 1 && out === undefined)
        throw new ConfigError(
          `a report of several runs needs --out <file> (the default, ${runPaths(dirs[0]!).report}, is that run's own report)`,
        );
      const experiments = new Set(
        runs.map((d) => (readJson(runPaths(d).config) as { experiment?: string }).experiment),
      );
      if (experiments.size > 1)
        throw new ConfigError(
          `runs of different experiments (${[...experiments].join(', ')}) measure different things: report them separately`,
        );
      const file = resolve(out ?? runPaths(dirs[0]!).report);
      // Figures go beside the report: plots/ in a run directory, <name>-plots/ for a file of one's own.
      const plotsDir = out === undefined ? undefined : `${file.replace(/\.html?$/i, '')}-plots`;
      await writeRunReport(runs, file, { title, baseline, plotsDir });
      finish(json, { report: file }, file);
    },

    async list(given, { json }) {
      const dir = given ?? 'runs'; // the default may be missing (no run yet); a named one may not
      if (given !== undefined && !(existsSync(given) && statSync(given).isDirectory()))
        throw new ConfigError(`${resolve(given)} is not a directory`);
      const runs = findRuns(dir);
      if (json) {
        io.stdout(
          JSON.stringify({
            experiments: [...DEFINITIONS.map((d) => d.name), ...EXPERIMENTS],
            presets: PRESETS,
            runs,
          }),
        );
        return;
      }
      io.stdout('Experiments:');
      const width = Math.max(...Object.keys(DESCRIPTIONS).map((k) => k.length));
      for (const [k, v] of Object.entries(DESCRIPTIONS)) io.stdout(`  ${k.padEnd(width)}  ${v}`);
      io.stdout(`Presets: ${PRESETS.join(', ')}`);
      io.stdout(runs.length ? `Runs under ${resolve(dir)}:` : `No runs under ${resolve(dir)}.`);
      const experimentWidth = Math.max(8, ...runs.map((r) => r.experiment.length));
      for (const r of runs)
        io.stdout(
          `  ${r.status.padEnd(11)} ${r.experiment.padEnd(experimentWidth)} epochs ${String(r.epochs).padStart(3)}  ${r.dir}`,
        );
    },

    async bench(argv) {
      // The kernels' bench (packages/lab/src/bench), loaded only when asked for.
      const { runBench } = await import('../bench/run-bench.js');
      runBench(argv);
    },
  };
}

/** The run directories of a compare job. */
/** An empty path would resolve to the current directory: refused rather than guessed at. */
function refuseEmpty(flag: string, path: string | undefined): void {
  if (path !== undefined && path.trim() === '')
    throw new ConfigError(`${flag}: an empty path; give a file or directory name`);
}

interface RunListing {
  dir: string;
  experiment: string;
  status: string;
  epochs: number;
}

/** Run directories (holding config.json) up to three levels below `root`. */
function findRuns(root: string, depth = 3): RunListing[] {
  if (!existsSync(root) || !statSync(root).isDirectory()) return [];
  const paths = runPaths(root);
  if (existsSync(paths.config)) return [listing(paths)];
  if (depth === 0) return [];
  return readdirSync(root)
    .sort()
    .flatMap((name) => findRuns(join(root, name), depth - 1));
}

/**
 * One run's line in `list`: finished or failed (its summary says), incomplete (it has a checkpoint
 * or metrics to resume from), not started (set up, then stopped before its first epoch), or
 * damaged (a file that cannot be read; `resume` says which and what to do).
 */
function listing(paths: RunPaths): RunListing {
  try {
    const config = readJson(paths.config) as { experiment?: string; variants?: unknown };
    const summary = existsSync(paths.summary) ? (readJson(paths.summary) as { status?: string }) : {};
    const epochs = Math.max(0, ...readMetrics(paths.metrics).map((r) => r.epoch));
    const resumable = epochs > 0 || existsSync(paths.checkpoint) || existsSync(paths.previousCheckpoint);
    const status =
      summary.status ??
      (Array.isArray(config.variants) // an experiment job: finished when its summary is written
        ? existsSync(paths.summary)
          ? 'finished'
          : 'incomplete'
        : resumable
          ? 'incomplete'
          : 'not started');
    return { dir: paths.dir, experiment: config.experiment ?? '?', status, epochs };
  } catch {
    return { dir: paths.dir, experiment: '?', status: 'damaged', epochs: 0 };
  }
}

/** A run's result: validation at the epoch of lowest validation loss (the restored one), and test. */
function resultLine(s: RunSummary): string {
  const after = s.final ? " (after recomputing batch norm's statistics)" : '';
  return `valid ${s.metric} ${s.bestValid.toFixed(4)} at the best-loss epoch ${s.bestEpoch}; test ${s.test.toFixed(4)}${after}`;
}

function jobTable(s: JobSummary): string {
  const lines = s.runs.map(
    (r) =>
      `  ${(r.seed === undefined ? r.name : `${r.name} seed ${r.seed}`).padEnd(r.seed === undefined ? 14 : 22)} valid ${r.metric} ${r.bestValid.toFixed(4)} at best-loss epoch ${String(r.bestEpoch).padStart(2)}` +
      `  test ${r.test.toFixed(4)}${r.stoppedEarly ? '  (stopped early)' : ''}`,
  );
  return [
    ...lines,
    ...(s.conclusions ?? []).map((c) => `  ${c.replace(/[“”]/g, '')}`),
    `report: ${s.report}`,
  ].join('\n');
}
