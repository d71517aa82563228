/**
 * A run killed with SIGKILL at arbitrary points resumes from its last checkpoint and ends with
 * exactly the metrics of an uninterrupted run with the same seed. The CLI runs as a real child
 * process (packages/lab/dist/cli.js: `npm run build` first, as CI does). Regularizers that draw
 * masks (Gal input/recurrent dropout, zoneout, weight-drop) are on, so the layers' mask streams
 * must be restored too.
 */
import { appendFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, metrics, start, untilEpoch } from './cli-child.js';

const ARGS = ['--preset', 'quick', '--epochs', '5', '--dropout', '0.2', '--recurrent-dropout', '0.2'];
const MORE = ['--zoneout-cell', '0.5', '--zoneout-hidden', '0.05', '--weight-drop', '0.3', '--seed', '7'];

/** Waits until `dir` has metrics rows of epoch `epoch`, then SIGKILLs the child. */
async function killAfterEpoch(run: ReturnType<typeof start>, dir: string, epoch: number): Promise<void> {
  await untilEpoch(dir, epoch);
  run.child.kill('SIGKILL');
  const r = await run.done;
  expect(r.signal, r.stderr).toBe('SIGKILL');
}

describe('resume after SIGKILL', () => {
  it('ends with exactly the metrics and summary of an uninterrupted run', async () => {
    expect(existsSync(CLI), `${CLI} is missing: run \`npm run build\` first`).toBe(true);
    const root = mkdtempSync(join(tmpdir(), 'regulab-kill-'));
    const [a, b] = [join(root, 'a'), join(root, 'b')];

    const whole = await start(['run', 'charlm', ...ARGS, ...MORE, '--out', a, '--json']).done;
    expect(whole.code, whole.stderr).toBe(0);

    // Killed twice: once just after epoch 1's metrics were written (the checkpoint may or may not
    // be on disk yet), once, after a resume, in the middle of a later epoch.
    const first = start(['run', 'charlm', ...ARGS, ...MORE, '--out', b, '--json']);
    await killAfterEpoch(first, b, 1);
    expect(existsSync(join(b, 'summary.json'))).toBe(false);
    const second = start(['resume', b, '--json']);
    await killAfterEpoch(second, b, 3);
    expect(existsSync(join(b, 'summary.json'))).toBe(false);
    // A row written after the last checkpoint (as a kill between the two writes leaves) is dropped.
    appendFileSync(
      join(b, 'metrics.jsonl'),
      JSON.stringify({ epoch: 99, split: 'train', loss: 1, bpc: 1, seconds: 0 }) + '\n',
    );

    const last = await start(['resume', b, '--json']).done;
    expect(last.code, last.stderr).toBe(0);
    expect(metrics(b)).toEqual(metrics(a));
    expect(metrics(a)).toHaveLength(15);
    const strip = (s: string) => {
      const { runDir: _, ...rest } = JSON.parse(s.trim().split('\n').at(-1)!);
      return rest;
    };
    expect(strip(last.stdout)).toEqual(strip(whole.stdout));
  }, 240_000);

  it('compare trains its variants in worker processes that exit when done, and resumes as a whole', async () => {
    expect(existsSync(CLI), `${CLI} is missing: run \`npm run build\` first`).toBe(true);
    const dir = join(mkdtempSync(join(tmpdir(), 'regulab-compare-')), 'c');
    const r = await start(['run', 'compare', '--preset', 'quick', '--workers', '2', '--out', dir, '--json'])
      .done;
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(summary.runs).toHaveLength(5);
    expect(existsSync(join(dir, 'report.html'))).toBe(true);
    for (const run of summary.runs) expect(metrics(join(dir, run.name))).toHaveLength(6); // 2 epochs × 3 splits
    // Resuming a finished compare job trains nothing and gives the same summary.
    const again = await start(['resume', dir, '--json']).done;
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout.trim().split('\n').at(-1)!)).toEqual(summary);
  }, 240_000);
});
