/**
 * The command line's contract, driven in-process through `main` (no training here): help generated
 * from the option table, and usage/config/data errors that name the culprit with their exit codes.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { flagName, OPTION_KEYS, OPTIONS } from '../src/config/options.js';
import { ExitCode } from '../src/errors.js';
import { resolveConfig, validateConfig } from '../src/experiments/config.js';
import { cli } from './cli-in-process.js';

describe('regulab --help', () => {
  it('lists the commands and documents the exit codes', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(ExitCode.ok);
    for (const c of ['run', 'resume', 'report', 'list', 'bench'])
      expect(r.out).toMatch(new RegExp(`^\\s+${c}\\b`, 'm'));
    expect(r.out).toContain('Exit codes:');
    expect(r.out).toMatch(/2\s+usage or configuration error/);
  });

  it('run --help shows every option of the table, with its help text and experiments', async () => {
    const r = await cli('run', '--help');
    expect(r.code).toBe(ExitCode.ok);
    for (const key of OPTION_KEYS) {
      const spec = OPTIONS[key];
      expect(r.out).toContain(spec.flag);
      expect(r.out.replace(/\s+/g, ' ')).toContain(spec.help.slice(0, 30));
    }
    for (const e of ['compare', 'charlm', 'wordlm', 'smnist', 'pmnist']) expect(r.out).toContain(e);
    expect(r.out).toContain('--preset');
    expect(r.out).toContain('--json');
  });
});

describe('regulab bench', () => {
  it("hands its arguments to the kernels' bench (its own --help, exit 0)", async () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const r = await cli('bench', '--help');
      expect(r.code).toBe(ExitCode.ok);
    } finally {
      spy.mockRestore();
    }
    expect(written.join('')).toMatch(/Usage: bench[\s\S]*--case/);
  });
});

describe('README', () => {
  it('documents every option of the table and every exit code', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    for (const key of OPTION_KEYS) expect(readme, flagName(key)).toContain(`\`${flagName(key)} `);
    for (const code of Object.values(ExitCode)) expect(readme).toMatch(new RegExp(`^\\| ${code} \\|`, 'm'));
  });
});

describe('usage and config errors exit 2 and name the culprit', () => {
  const cases: [string, string[], RegExp][] = [
    ['unknown option', ['run', 'charlm', '--hiden', '8'], /unknown option '--hiden'/],
    ['rate out of range', ['run', 'charlm', '--dropout', '1.5'], /--dropout: must be < 1.*got 1\.5/],
    ['not a number', ['run', 'charlm', '--hidden', 'abc'], /--hidden: .*got "abc"/],
    ['not an integer', ['run', 'charlm', '--epochs', '2.5'], /--epochs: .*got 2\.5/],
    [
      'bad choice',
      ['run', 'charlm', '--recurrent-dropout-mode', 'moon'],
      /--recurrent-dropout-mode: .*got "moon"/,
    ],
    [
      'option of another experiment',
      ['run', 'charlm', '--train-words', '100'],
      /--train-words does not apply to experiment 'charlm'/,
    ],
    ['unknown experiment', ['run', 'charnn'], /unknown experiment 'charnn'/],
    ['unknown preset', ['run', 'charlm', '--preset', 'huge'], /unknown preset 'huge' for charlm/],
    [
      'decay without a decoupled optimizer',
      ['run', 'charlm', '--weight-decay', '0.1'],
      /--weight-decay 0\.1 needs --optimizer adamw, sgdw or rmsprop/,
    ],
    [
      'regularizer given to compare',
      ['run', 'compare', '--zoneout-cell', '0.3'],
      /compare sets --zoneout-cell itself \(in its variants zoneout\); run charlm to choose --zoneout-cell/,
    ],
    ['resume of a non-run directory', ['resume', tmpdir()], /is not a run directory/],
    ['missing argument', ['run'], /missing required argument 'experiment'/],
  ];
  for (const [what, argv, message] of cases) {
    it(what, async () => {
      const r = await cli(...argv);
      expect(r.code, r.err).toBe(ExitCode.usage);
      expect(r.err).toMatch(message);
    });
  }

  it('--json adds one machine-readable error line on stdout', async () => {
    const r = await cli('run', 'charlm', '--dropout', '-1', '--json');
    expect(r.code).toBe(ExitCode.usage);
    expect(r.lines).toHaveLength(1);
    const line = JSON.parse(r.lines[0]!);
    expect(line).toMatchObject({ ok: false, exitCode: 2 });
    expect(line.error).toContain('--dropout');
  });

  it('missing data exits 3 (data error) and names the path', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'regulab-')), 'no-such-corpus');
    const r = await cli(
      'run',
      'charlm',
      '--preset',
      'quick',
      '--data',
      missing,
      '--out',
      join(missing, '..', 'run'),
    );
    expect(r.code, r.err).toBe(ExitCode.data);
    expect(r.err).toContain(missing);
  });
});

describe('config schema', () => {
  it('a preset plus overrides gives a complete, valid config that re-validates from JSON', () => {
    const c = resolveConfig('charlm', 'quick', { hidden: 12, zoneoutCell: 0.5 });
    expect(c).toMatchObject({
      experiment: 'charlm',
      preset: 'quick',
      hidden: 12,
      zoneoutCell: 0.5,
      data: 'brown',
    });
    expect(validateConfig(JSON.parse(JSON.stringify(c)))).toEqual(c);
  });

  it('rejects an unknown key in config.json', () => {
    const c = { ...resolveConfig('smnist', 'quick', {}), zoneout: 0.1 };
    expect(() => validateConfig(c)).toThrow(/unknown option\(s\): zoneout/);
  });
});
