/**
 * Runs several prepared run directories (each with its config.json) side by side, one child
 * process per run (`regulab resume <dir>`), at most `workers` at a time. tfjs's CPU backend is
 * single-threaded, so on 2 cores two runs at a time nearly halve the wall time of `compare`.
 *
 * Each child gets `REGULAB_THREADS = cores / workers` for the fused kernels, and an IPC channel:
 * the CLI exits when its parent disappears (cli.ts), so killing `compare` — even with SIGKILL —
 * never leaves orphans writing to the run directories; `regulab resume` then picks every run up
 * from its last checkpoint. Child epoch lines are forwarded to `log`, prefixed with the run name.
 *
 * When the lab runs from its TypeScript sources (tests) there is no executable to spawn, and the
 * runs go one after another in this process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ExitCode, InterruptedError, RunFailedError } from '../errors.js';
import { continueRun, type RunOptions } from './runner.js';

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));
/** True when the lab runs from its TypeScript sources (tests): no executable to spawn. */
export const FROM_SOURCES = import.meta.url.endsWith('.ts');

/** How many runs to train at once by default: one per core, at most `runs`. */
export function defaultWorkers(runs: number): number {
  return Math.max(1, Math.min(runs, availableParallelism()));
}

/** Trains every run in `dirs` to its end; throws one RunFailedError naming every run that failed. */
export async function runAll(dirs: readonly string[], workers: number, opts: RunOptions): Promise<void> {
  const failures: string[] = [];
  if (FROM_SOURCES || workers <= 1) {
    for (const dir of dirs) {
      // Epoch lines name their run, as the workers' lines do.
      const log = opts.log && ((line: string) => opts.log!(`[${basename(dir)}] ${line}`));
      await continueRun(dir, { ...opts, log, report: false }).catch((e: Error) => {
        if (!(e instanceof RunFailedError)) throw e;
        failures.push(`${basename(dir)}: ${e.message}`);
      });
    }
  } else {
    const queue = [...dirs];
    const threads = Math.max(1, Math.floor(availableParallelism() / workers));
    const children = new Set<ChildProcess>();
    let interrupted: string | undefined;
    // Ctrl-C in a terminal reaches the children too; a SIGINT sent to this process alone is
    // passed on, once, so each child stops at its next batch as a single run would.
    const forward = setInterval(() => {
      if (interrupted !== undefined || !opts.interrupted?.()) return;
      interrupted = dirs[0]!;
      for (const child of children) child.kill('SIGINT');
    }, 50);
    const worker = async (): Promise<void> => {
      for (let dir = queue.shift(); dir !== undefined && !opts.interrupted?.(); dir = queue.shift()) {
        const { code, error } = await runChild(dir, threads, children, opts.log);
        if (code === ExitCode.interrupted) interrupted ??= dir;
        else if (error) failures.push(`${basename(dir)}: ${error}`);
      }
    };
    await Promise.all(Array.from({ length: workers }, worker)).finally(() => clearInterval(forward));
    if (interrupted !== undefined || opts.interrupted?.())
      throw new InterruptedError(interrupted ?? dirs[0]!);
  }
  if (failures.length > 0)
    throw new RunFailedError(`${failures.length} run(s) failed:\n  ${failures.join('\n  ')}`);
}

/**
 * `regulab resume <dir> --no-report [...args]` in a child process (kept in `children` while it
 * runs): its exit code and error.
 */
export function runChild(
  dir: string,
  threads: number,
  children: Set<ChildProcess>,
  log?: (line: string) => void,
  args: readonly string[] = [],
): Promise<{ code: number | null; error?: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'resume', dir, '--no-report', ...args], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      detached: true, // its own process group: a terminal's Ctrl-C reaches it once, through forward
      env: { ...process.env, REGULAB_THREADS: String(threads) },
    });
    children.add(child);
    child.on('exit', () => children.delete(child));
    const name = basename(dir);
    let lastError = '';
    createInterface({ input: child.stdout! }).on('line', (line) => log?.(`[${name}] ${line}`));
    createInterface({ input: child.stderr! }).on('line', (line) => {
      if (line.startsWith('regulab: error: ')) lastError = line.slice('regulab: error: '.length);
    });
    child.on('error', (e) => resolve({ code: null, error: e.message }));
    child.on('close', (code) =>
      resolve({ code, error: code === 0 ? undefined : lastError || `exited with code ${code}` }),
    );
  });
}
