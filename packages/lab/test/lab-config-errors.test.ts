/**
 * Configuration problems found late (by the data loader, the model, the report or a resume) are
 * usage errors: exit 2 and one line naming the option, or the file and key of an edited
 * `config.json`; never a raw tfjs or RangeError with a stack trace.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../src/errors.js';
import { cli } from './cli-in-process.js';

let root: string;
let finished: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'regulab-config-'));
  finished = join(root, 'finished');
  const r = await cli('run', 'charlm', '--preset', 'quick', '--epochs', '1', '--out', finished, '--json');
  expect(r.code, r.err).toBe(ExitCode.ok);
}, 60_000);

/** Exit 2 with one error line that contains every `parts`. */
function expectUsage(r: Awaited<ReturnType<typeof cli>>, ...parts: string[]) {
  expect(r.code, r.err).toBe(ExitCode.usage);
  expect(r.errLines).toHaveLength(1);
  for (const p of parts) expect(r.errLines[0]).toContain(p);
}

/** A copy of the finished run with `edit` applied to its config.json. */
function edited(name: string, edit: (c: Record<string, unknown>) => void): string {
  const dir = join(root, name);
  cpSync(finished, dir, { recursive: true });
  const file = join(dir, 'config.json');
  const config = JSON.parse(readFileSync(file, 'utf8'));
  edit(config);
  writeFileSync(file, JSON.stringify(config));
  return dir;
}

describe('late configuration problems name the option', () => {
  it.each([
    [['charlm', '--eval-tokens', '1'], '--eval-tokens: must be 0 (all) or at least 2'],
    [['charlm', '--train-chars', '1'], '--train-chars: must be 0 (all) or at least 2'],
    [['wordlm', '--train-words', '1'], '--train-words: must be 0 (all) or at least 2'],
    [['charlm', '--hidden', '1e9'], '--hidden 1000000000 --embed 8 --layers 1: the LSTM would have'],
    [['smnist', '--hidden', '20000'], '--hidden 20000 --layers 1: the LSTM would have'],
    [['smnist', '--layers', '1e9'], '--hidden 8 --layers 1000000000: the LSTM would have'],
    [['wordlm', '--min-count', '100000'], 'with --min-count 100000: lower it'],
    [['charlm', '--zoneout-cell', '1'], '--zoneout-cell: must be < 1'],
    [
      ['charlm', '--recurrent-dropout-mode', 'semeniuta'],
      'semeniuta does nothing without a --recurrent-dropout',
    ],
    [['smnist', '--train-examples', '100000000'], '--train-examples 100000000: the split has only'],
  ])('run %j', async (args, words) => {
    const r = await cli('run', ...args, '--preset', 'quick', '--out', join(root, args.join('_')));
    expectUsage(r, words);
  });

  it('report --baseline that is none of the runs', async () => {
    expectUsage(
      await cli('report', finished, '--baseline', 'nosuch', '--out', join(root, 'r.html')),
      '--baseline',
    );
  });
});

describe('an edited config.json', () => {
  it('an invalid value is reported with the file and key, not as a flag', async () => {
    const dir = edited('no-lr', (c) => delete c.lr);
    const r = await cli('resume', dir);
    expectUsage(r, `${join(dir, 'config.json')}: "lr": `, 'it is missing');
    expect(r.err).not.toContain('--lr');
  });

  it.each([
    ['hidden', 32, '"hidden" is 32, was 16'],
    ['epochs', 3, '"epochs" is 3, was 1'],
  ])('a changed %s after the run started is refused, naming it', async (key, value, words) => {
    const dir = edited(`changed-${key}`, (c) => (c[key] = value));
    expectUsage(
      await cli('resume', dir),
      `${join(dir, 'config.json')} was changed after the run started`,
      words,
    );
  });
});
