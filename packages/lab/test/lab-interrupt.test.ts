/**
 * Ctrl-C: a real SIGINT sent to a real `regulab` process in the middle of an epoch stops the run
 * within that epoch (before its metrics rows are written), exits 130 with one line saying what
 * was kept, leaves no lock and no `summary.json`, and `regulab resume` then ends with exactly the
 * metrics of an uninterrupted run. Epochs of 40k characters take seconds, so the signal, sent
 * as soon as epoch 1's rows appear, lands early in epoch 2.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, lastJson, metrics, start, untilEpoch } from './cli-child.js';

const RUN = [
  '--preset',
  'quick',
  '--epochs',
  '3',
  '--train-chars',
  '40000',
  '--dropout',
  '0.2',
  '--seed',
  '3',
];

const lastLine = (s: string) => s.trim().split('\n').at(-1)!;

describe('Ctrl-C (SIGINT) while training', () => {
  it('stops the run within the epoch, keeps its checkpoint, and resumes to identical metrics', async () => {
    expect(existsSync(CLI), `${CLI} is missing: run \`npm run build\` first`).toBe(true);
    const root = mkdtempSync(join(tmpdir(), 'regulab-sigint-'));
    const [a, b] = [join(root, 'a'), join(root, 'b')];
    const whole = start(['run', 'charlm', ...RUN, '--out', a, '--json']);
    const cut = start(['run', 'charlm', ...RUN, '--out', b, '--json']);

    await untilEpoch(b, 1);
    cut.child.kill('SIGINT');
    const r = await cut.done;
    expect(r.code, r.stderr).toBe(130);
    expect(metrics(b).map((row) => row.epoch)).toEqual([1, 1, 1]); // epoch 2 never finished
    expect(existsSync(join(b, 'summary.json'))).toBe(false);
    expect(existsSync(join(b, 'lock'))).toBe(false);
    expect(lastLine(r.stderr)).toMatch(
      /^regulab: error: .*: interrupted in epoch 2; the checkpoint of epoch 1 is kept; resume it with 'regulab resume /,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace

    const resumed = await start(['resume', b, '--json']).done;
    const w = await whole.done;
    expect(w.code, w.stderr).toBe(0);
    expect(w.stderr).not.toContain('tfjs-node'); // tfjs's install-tfjs-node banner is filtered out
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(metrics(b)).toEqual(metrics(a));
    const { runDir: _a, ...wholeSummary } = lastJson(w.stdout);
    const { runDir: _b, ...resumedSummary } = lastJson(resumed.stdout);
    expect(resumedSummary).toEqual(wholeSummary);
  }, 240_000);

  it.each([1, 2])(
    'stops compare --workers %i and names the compare directory to resume',
    async (workers) => {
      const dir = join(mkdtempSync(join(tmpdir(), 'regulab-sigint-compare-')), 'c');
      const job = start(
        ['run', 'compare', '--preset', 'quick', '--train-chars', '40000', '--epochs', '3'].concat([
          '--workers',
          String(workers),
          '--out',
          dir,
          '--json',
        ]),
      );
      await untilEpoch(join(dir, 'unregularized'), 1);
      job.child.kill('SIGINT'); // to the parent alone: it passes the request on to its workers
      const r = await job.done;
      expect(r.code, r.stderr).toBe(130);
      expect(lastLine(r.stderr)).toBe(
        `regulab: error: ${dir}: interrupted; resume it with 'regulab resume ${dir}'`,
      );
      expect(existsSync(join(dir, 'summary.json'))).toBe(false);
      for (const name of ['unregularized', 'gal', 'semeniuta', 'zoneout', 'weight-drop']) {
        expect(existsSync(join(dir, name, 'lock')), `${name}/lock`).toBe(false); // every worker has exited
        expect(existsSync(join(dir, name, 'summary.json')), `${name}/summary.json`).toBe(false);
      }
    },
    120_000,
  );
});
