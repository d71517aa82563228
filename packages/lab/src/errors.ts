/**
 * The lab's error kinds and the process exit code each one means. The CLI maps any error to its
 * code (`exitCodeOf`), so scripts can tell a diverged run from a typo from missing data.
 *
 * | code | meaning |
 * | ---- | ------- |
 * | 0 | success |
 * | 1 | the run failed: the loss became NaN or infinite (the last good checkpoint is kept), or an unexpected error |
 * | 2 | usage or configuration error: unknown command/option, a bad value, a missing or unusable run directory |
 * | 3 | data error: a dataset file, or a run's own file (checkpoint, metrics) beyond repair, is missing, truncated or malformed |
 * | 130 | interrupted (SIGINT); the run resumes from its last checkpoint |
 */
import { DatasetError } from './datasets/errors.js';

export const ExitCode = {
  ok: 0,
  runFailed: 1,
  usage: 2,
  data: 3,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A bad command line, config value, preset or run directory. The message names the thing. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Training diverged (NaN or infinite loss) or otherwise cannot go on. */
export class RunFailedError extends Error {
  /** The run directory whose last good checkpoint was kept. */
  readonly runDir: string | undefined;

  constructor(message: string, runDir?: string) {
    super(message);
    this.name = 'RunFailedError';
    this.runDir = runDir;
  }
}

/** The run was stopped from outside (its parent `compare` process went away, Ctrl-C). */
export class InterruptedError extends Error {
  /** `at`: the epoch that was cut short and the last completed one (whose checkpoint is kept). */
  constructor(runDir: string, at?: { epoch: number; kept: number }) {
    const where = at
      ? ` in epoch ${at.epoch}; ${at.kept > 0 ? `the checkpoint of epoch ${at.kept} is kept` : 'no epoch had completed'}`
      : '';
    super(`${runDir}: interrupted${where}; resume it with 'regulab resume ${runDir}'`);
    this.name = 'InterruptedError';
  }
}

/**
 * A file of a run directory (checkpoint, metrics) is damaged and no good copy is left. The
 * message names the file, the damage, what is kept and what to do.
 */
export class RunFileError extends Error {
  readonly file: string;

  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'RunFileError';
    this.file = file;
  }
}

/** The exit code an error stands for (unknown errors count as a failed run). */
export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof ConfigError) return ExitCode.usage;
  if (error instanceof Error && error.name === 'RegulabConfigError') return ExitCode.usage;
  if (error instanceof DatasetError || error instanceof RunFileError) return ExitCode.data;
  if (error instanceof InterruptedError) return ExitCode.interrupted;
  return ExitCode.runFailed;
}
