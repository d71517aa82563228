/**
 * Ctrl-C (SIGINT). While a command trains (`run`, `resume`), the first Ctrl-C asks it to stop:
 * the trainer polls `stopRequested` before every batch and yields to the event loop often enough
 * for this handler to run, so the run stops within one batch, its last checkpoint intact, and
 * `regulab resume` continues it. Any other time, or at a second Ctrl-C, the process exits at once.
 * Either way the exit code is 130 (errors.ts).
 */
import { ExitCode } from '../errors.js';

let trainingCommand = false;
let requested = false;

/** Installs the SIGINT handler (once, in the executable). */
export function handleInterrupts(stderr: (line: string) => void): void {
  process.on('SIGINT', () => {
    if (!trainingCommand || requested) {
      stderr('\ninterrupted: resume from the last completed epoch with `regulab resume <run-dir>`');
      process.exit(ExitCode.interrupted);
    }
    requested = true;
    stderr('\nstopping after the current batch (Ctrl-C again to quit at once)');
  });
}

/** Marks this process as training (Ctrl-C then stops gracefully); returns the poll for the trainer. */
export function stopOnInterrupt(): () => boolean {
  trainingCommand = true;
  return () => requested;
}

// A worker started with an IPC channel (compare, sweeps) stops as soon as its parent is gone:
// checked before every batch, since a disconnect event would wait for the end of the epoch.
const parentPid = process.ppid;
const orphaned = (): boolean => process.send !== undefined && process.ppid !== parentPid;

/** Ctrl-C or a vanished parent: the trainer stops at the next batch. */
export function interruptPoll(): () => boolean {
  const ctrlC = stopOnInterrupt();
  return () => ctrlC() || orphaned();
}
