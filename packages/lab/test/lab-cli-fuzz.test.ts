/**
 * A seeded fuzz test of the command line, in-process through `main`: generated command lines
 * (random commands, options, values and paths), edited `config.json` files and damaged run files
 * (truncated, emptied, bit-flipped, deleted, appended to), each in its own sandbox directory.
 * Every case must end with exit 0, 1 (a named run failure), 2 or 3, print at most one error line
 * and no stack trace, finish within the per-case limit, and touch no file outside its sandbox.
 * Training is kept tiny by options appended last (commander keeps the last value): one epoch on
 * slices of the embedded corpora. The counts per outcome are printed (README, reliability).
 */
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPTION_KEYS, OPTIONS, flagName } from '../src/config/options.js';
import { cli } from './cli-in-process.js';

const CASES = Number(process.env.FUZZ_CASES ?? 1000);
const SEED = 20261202;
/** A hang detector, far above any case's time (a tiny run takes about a second). */
const CASE_LIMIT_MS = 30_000;

/** mulberry32: a small seeded generator, so a failing case can be replayed from its number. */
function generator(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  return { next, pick, chance: (p: number) => next() < p };
}
type Random = ReturnType<typeof generator>;

const INTS = ['-1', '0', '1', '2', '3', '8', 'abc', '', '1e9', '0x10', '2.5', '99999999999', ' 4 ', '-0'];
const FLOATS = ['-0.1', '0', '0.25', '0.5', '0.999', '1', '1.5', 'nan', 'Infinity', '', '1e-9', 'abc'];
const STRINGS = ['gal', 'semeniuta', 'adam', 'adamw', 'sgd', 'rmsprop', 'brown', 'mnist', '', 'x'];
const SMALL: Record<string, string[]> = {
  charlm: ['--train-chars', '2000', '--eval-tokens', '400'],
  wordlm: ['--train-words', '600', '--eval-tokens', '200', '--min-count', '2'],
  smnist: ['--train-examples', '32', '--eval-examples', '16', '--pixels-per-step', '28'],
  pmnist: ['--train-examples', '32', '--eval-examples', '16', '--pixels-per-step', '28'],
  compare: ['--train-chars', '1500'],
};

/** A path for an option: mostly inside the sandbox, sometimes unusable. */
function path(r: Random, box: string, runDir: string): string {
  return r.pick([
    join(box, 'out'),
    join(box, 'a', 'b', 'c'),
    join(box, 'file.txt'),
    join(box, 'dangling', 'x'),
    join(box, 'missing'),
    runDir,
    join(runDir, 'checkpoints'),
    join(runDir, 'metrics.jsonl'),
    '',
    '/proc/regulab-fuzz/x',
    join(box, 'r.html'),
  ]);
}

function runCommand(r: Random, box: string, runDir: string): string[] {
  // wordlm (its vocabulary is built from all of Brown) and compare (five runs) cost seconds each: rarer.
  const experiment = r.chance(0.06)
    ? r.pick(['wordlm', 'compare'])
    : r.pick(['charlm', 'charlm', 'charlm', 'charlm', 'smnist', 'pmnist', 'nosuch']);
  const args = ['run', experiment];
  for (let n = Math.floor(r.next() * 4); n > 0; n--) {
    const key = r.pick(OPTION_KEYS);
    const spec = OPTIONS[key];
    const value =
      key === 'data'
        ? r.pick(['brown', 'mnist', join(box, 'missing'), join(box, 'file.txt'), '', 'nowhere'])
        : spec.parse === 'int'
          ? r.pick(INTS)
          : spec.parse === 'float'
            ? r.pick(FLOATS)
            : r.pick(STRINGS);
    args.push(flagName(key), value);
  }
  if (r.chance(0.1)) args.push(r.pick(['--bogus', '--preset', '--workers']), r.pick(INTS));
  if (r.chance(0.8)) args.push('--out', path(r, box, runDir));
  if (r.chance(0.3)) args.push('--json');
  // Keep training tiny: these come last, so they win over the fuzzed values.
  return [...args, '--preset', 'quick', '--epochs', '1', ...(SMALL[experiment] ?? [])];
}

/** Damages one file of the run directory. */
function damage(r: Random, runDir: string): void {
  const file = join(
    runDir,
    r.pick([
      'config.json',
      'metrics.jsonl',
      'summary.json',
      join('checkpoints', 'last.ckpt'),
      join('checkpoints', 'previous.ckpt'),
      'lock',
    ]),
  );
  const how = r.pick(['truncate', 'empty', 'flip', 'delete', 'append', 'garbage']);
  if (!existsSync(file) || how === 'garbage')
    writeFileSync(file, r.pick(['{', '1', 'null', '[]', '\u0000\u0001', '']));
  else if (how === 'truncate') truncateSync(file, Math.floor(statSync(file).size * r.next()));
  else if (how === 'empty') writeFileSync(file, '');
  else if (how === 'delete') rmSync(file, { recursive: true, force: true });
  else if (how === 'append') appendFileSync(file, r.pick(['{"epoch": 9, "spl', 'garbage\n', '\n\n', '{}\n']));
  else {
    const bytes = readFileSync(file);
    if (bytes.length > 0) bytes[Math.floor(r.next() * bytes.length)]! ^= 1 << Math.floor(r.next() * 8);
    writeFileSync(file, bytes);
  }
}

/** Edits config.json: a key deleted, a wrong type, a random value, or no object at all. */
function editConfig(r: Random, runDir: string): void {
  const file = join(runDir, 'config.json');
  const config = JSON.parse(readFileSync(file, 'utf8'));
  const key = r.pick([...Object.keys(config), 'nosuch']);
  const how = r.pick(['delete', 'value', 'type', 'whole']);
  if (how === 'delete') delete config[key];
  else if (how === 'value') config[key] = Number(r.pick([...INTS, ...FLOATS])) || r.pick(INTS);
  else if (how === 'type') config[key] = r.pick([null, [], {}, true, 'x']);
  writeFileSync(
    file,
    how === 'whole'
      ? r.pick(['[]', 'null', '"x"', '{}', '{"experiment":"compare"}'])
      : JSON.stringify(config),
  );
}

function generate(r: Random, box: string, runDir: string): string[] {
  const kind = r.next();
  if (kind < 0.4) return runCommand(r, box, runDir);
  if (kind < 0.65) {
    damage(r, runDir);
    if (r.chance(0.3)) damage(r, runDir);
  } else if (kind < 0.8) editConfig(r, runDir);
  const target = r.chance(0.8) ? runDir : path(r, box, runDir);
  // A report renders its figures to PNG (about a second): one case in eight.
  if (r.chance(0.125))
    return r.pick([
      ['report', target, '--out', join(box, 'r.html')],
      ['report', target, ...(r.chance(0.5) ? ['--baseline', r.pick(['run', 'x', ''])] : [])],
    ]);
  return r.pick([
    ['resume', target, '--no-report'],
    ['resume', target, '--json', '--no-report'],
    ['list', r.pick([box, target])],
    [r.pick(['nosuch', '--nosuch', 'run', 'resume', 'report', 'list', ''])],
  ]);
}

/** Every file under `dir` with its size and modification time. */
function snapshot(dir: string, skip: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (p === skip) continue;
      const s = statSync(p, { throwIfNoEntry: false });
      if (!s) continue;
      out.push(`${p} ${s.size} ${s.mtimeMs}`);
      if (s.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

describe('CLI fuzz', () => {
  let root: string;
  let template: string;
  const cwd = process.cwd();

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'regulab-fuzz-'));
    template = join(root, 'template');
    const r = await cli(
      'run',
      'charlm',
      '--preset',
      'quick',
      '--epochs',
      '2',
      '--train-chars',
      '2000',
      '--out',
      template,
    );
    expect(r.code, r.err).toBe(0);
    writeFileSync(join(root, 'canary.txt'), 'must not change');
  }, 60_000);

  afterAll(() => process.chdir(cwd));

  it(`${CASES} generated command lines, config files and damaged run files`, async () => {
    const r = generator(SEED);
    const counts = new Map<string, number>();
    const failures: string[] = [];
    const before = snapshot(root, join(root, 'cases'));
    const cwdBefore = readdirSync(cwd).sort();
    let slowest = 0;
    for (let i = 0; i < CASES; i++) {
      const box = join(root, 'cases', String(i));
      const runDir = join(box, 'run');
      mkdirSync(box, { recursive: true });
      cpSync(template, runDir, { recursive: true });
      writeFileSync(join(box, 'file.txt'), 'a user file');
      symlinkSync(join(box, 'nowhere'), join(box, 'dangling'));
      process.chdir(box); // default run directories land in the sandbox
      const argv = generate(r, box, runDir);
      const t0 = performance.now();
      const out = await cli(...argv);
      const ms = performance.now() - t0;
      process.chdir(cwd);
      slowest = Math.max(slowest, ms);
      if (process.env.FUZZ_TIMES)
        console.log(`T ${Math.round(ms)} ${out.code} ${argv.slice(0, 2).join(' ')}`);
      const errors = out.errLines.filter((l) => /^(regulab: )?error:/.test(l));
      const problem = ![0, 1, 2, 3].includes(out.code)
        ? `exit ${out.code}`
        : errors.length > 1
          ? 'more than one error line'
          : out.code !== 0 && errors.length === 0
            ? 'no error line'
            : out.errLines.some((l) => /^\s+at /.test(l))
              ? 'stack trace'
              : ms > CASE_LIMIT_MS
                ? `took ${Math.round(ms)} ms`
                : undefined;
      if (problem) failures.push(`case ${i}: ${problem}: regulab ${JSON.stringify(argv)}\n${out.err}`);
      counts.set(String(out.code), (counts.get(String(out.code)) ?? 0) + 1);
      rmSync(box, { recursive: true, force: true });
    }
    expect(failures.slice(0, 5).join('\n\n')).toBe('');
    expect(snapshot(root, join(root, 'cases'))).toEqual(before); // nothing outside the sandboxes
    expect(readdirSync(cwd).sort()).toEqual(cwdBefore);
    expect(existsSync('/proc/regulab-fuzz')).toBe(false);
    const summary = [...counts].sort().map(([code, n]) => `exit ${code}: ${n}`);
    console.log(`CLI fuzz: ${CASES} cases (${summary.join(', ')}); slowest ${Math.round(slowest)} ms`);
  }, 600_000);
});
