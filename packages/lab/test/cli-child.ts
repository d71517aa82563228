/**
 * The `regulab` executable as a real child process (packages/lab/dist/cli.js: `npm run build`
 * first, as CI does), for tests of signals, kills and resumes.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

export interface Finished {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Starts `regulab <args>`; `done` resolves when it has exited and its output is closed. */
export function start(args: string[]) {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<Finished>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

/** Rows of `<dir>/metrics.jsonl` without the wall-clock field. */
export function metrics(dir: string): { epoch: number }[] {
  const file = join(dir, 'metrics.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const { seconds: _, ...rest } = JSON.parse(l);
      return rest;
    });
}

/** Polls until `dir` (a run directory) has metrics rows of epoch `epoch`. */
export async function untilEpoch(dir: string, epoch: number, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!metrics(dir).some((r) => r.epoch >= epoch)) {
    if (Date.now() > deadline) throw new Error(`no epoch ${epoch} in ${dir} after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The last line of stdout, parsed (the `--json` summary). */
export function lastJson(out: string): Record<string, unknown> {
  return JSON.parse(out.trim().split('\n').at(-1)!);
}
