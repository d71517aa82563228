/**
 * A run's last two checkpoints: `last.ckpt` and `previous.ckpt`, the one it replaced. Saving
 * renames the old last to previous in the same atomic step that publishes the new one, so a crash
 * at any point leaves at least one good file. Loading falls back to `previous.ckpt` when
 * `last.ckpt` is missing or damaged (a disk error, a bit flip, a copy cut short), and says so:
 * the epochs after it are trained again, with the same result since training is deterministic.
 */
import { existsSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { RunFileError } from '../errors.js';
import { type CheckpointFile, readCheckpointFile, writeCheckpointFile } from './checkpoint-file.js';
import { makeDirectory } from './make-directory.js';
import type { RunPaths } from './run-dir.js';

/** Publishes `ckpt` as the last checkpoint, keeping the one before it as `previous.ckpt`. */
export function saveCheckpoint<Meta>(paths: RunPaths, ckpt: CheckpointFile<Meta>): void {
  makeDirectory(dirname(paths.checkpoint), `run directory ${paths.dir}`); // deleted by hand, say
  writeCheckpointFile(paths.checkpoint, ckpt, { keepPreviousAs: paths.previousCheckpoint });
}

/**
 * The newest good checkpoint, or undefined for a run that has none yet. `note` hears why the
 * last one was passed over; when no good one is left a RunFileError says what was lost.
 */
export function loadCheckpoint<Meta>(
  paths: RunPaths,
  note: (line: string) => void,
): CheckpointFile<Meta> | undefined {
  const problems: string[] = [];
  for (const file of [paths.checkpoint, paths.previousCheckpoint]) {
    if (!existsSync(file)) continue;
    try {
      const ckpt = readCheckpointFile<Meta>(file);
      if (problems.length > 0)
        note(`note: ${problems.join('; ')}: resuming from ${relative(paths.dir, file)} instead`);
      return ckpt;
    } catch (e) {
      if (!(e instanceof RunFileError)) throw e;
      problems.push(`${relative(paths.dir, file)} is damaged (${e.message.slice(file.length + 2)})`);
    }
  }
  if (problems.length === 0) return undefined;
  throw new RunFileError(
    paths.dir,
    `${problems.join('; ')}, and no good checkpoint is left. The metrics so far are kept in ` +
      `${paths.metrics}; to train again, start a new run with the options of ${paths.config}.`,
  );
}
