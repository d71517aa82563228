/**
 * A log of JSON rows, one per line (`metrics.jsonl`, `probes.jsonl`), rewritten whole and
 * atomically each time (they are small), so a killed run never leaves half a line. A torn last
 * line (the file copied while being written, or written by an older, non-atomic version) is
 * dropped with a note; a bad line before it is a RunFileError naming the line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { RunFileError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';

/**
 * The rows of `file` (empty when it does not exist). `parse` returns undefined for a line that is
 * not a row; `what` names a row in errors ("a metrics row"); `note` hears of a dropped torn line.
 */
export function readJsonLines<Row>(
  file: string,
  parse: (value: unknown) => Row | undefined,
  what: string,
  note?: (line: string) => void,
): Row[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').split('\n');
  let last = lines.length - 1;
  while (last >= 0 && lines[last]!.trim() === '') last--;
  const rows: Row[] = [];
  for (let i = 0; i <= last; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const row = parseLine(line, parse);
    if (row !== undefined) rows.push(row);
    else if (i === last)
      note?.(`note: ${file}: dropped a torn last line (${JSON.stringify(line.slice(0, 40))})`);
    else
      throw new RunFileError(
        file,
        `line ${i + 1} is not ${what}: ${JSON.stringify(line.slice(0, 80))}; ` +
          'fix or delete that line (the checkpoint is unaffected), then resume',
      );
  }
  return rows;
}

function parseLine<Row>(line: string, parse: (value: unknown) => Row | undefined): Row | undefined {
  try {
    return parse(JSON.parse(line));
  } catch {
    return undefined;
  }
}

/** Replaces the file's content with `rows` (atomically). */
export function writeJsonLines(file: string, rows: readonly unknown[]): void {
  writeFileAtomic(file, rows.map((r) => JSON.stringify(r) + '\n').join(''));
}
