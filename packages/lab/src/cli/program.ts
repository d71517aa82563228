/**
 * The `regulab` command line (commander). Every experiment option comes from the option table
 * (./options.ts), so `--help`, parsing and validation cannot drift apart.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { EXPERIMENTS } from '../config/options.js';
import { DEFINITIONS } from '../experiments/definitions/index.js';
import { PRESETS } from '../experiments/presets.js';
import type { Commands, Io } from './commands.js';
import { addOptionTable, overridesOf, parseCount } from './option-flags.js';
import { addSweepCommands } from './sweep-program.js';

/** The lab package's version (package.json, one level above src/ and dist/). */
const VERSION = (
  JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as {
    version: string;
  }
).version;

export const DESCRIPTIONS: Record<string, string> = {
  ...Object.fromEntries(DEFINITIONS.map((d) => [d.name, d.description])),
  charlm: 'character-level language model (bits per character)',
  wordlm: 'word-level language model (perplexity)',
  smnist: 'sequential MNIST classifier (accuracy)',
  pmnist: 'permuted MNIST classifier (accuracy)',
  mnist: 'MNIST classifier on flat 784-pixel images: an MLP, or --model cnn (accuracy)',
};

export const EXIT_CODES = `Exit codes:
  0    success
  1    the run failed: NaN or infinite loss (the last good checkpoint is kept), or an unexpected error
  2    usage or configuration error (unknown command or option, bad value, not a run directory)
  3    data error (missing, truncated or malformed dataset file, or a damaged run file with no good copy)
  130  interrupted (resume with: regulab resume <run-dir>)`;

/** The commander program; `commands` does the work (injected so tests can drive the parser alone). */
export function buildProgram(commands: Commands, io: Io): Command {
  // exitOverride and configureOutput first: subcommands copy these settings when they are created.
  const program = new Command('regulab')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout(s.replace(/\n$/, '')),
      writeErr: (s) => io.stderr(s.replace(/\n$/, '')),
    })
    .description('Regulab lab: train recurrent models with and without regularizers, compare them, report')
    .version(VERSION, '--version', 'print the version of regulab (the lab package) and exit')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', `\n${EXIT_CODES}`);

  const run = program
    .command('run')
    .argument('<experiment>', `one of: ${[...DEFINITIONS.map((d) => d.name), ...EXPERIMENTS].join(', ')}`)
    .description('train an experiment in a new run directory')
    .option('--preset <name>', `named option bundle: ${PRESETS.join(', ')}`, 'default')
    .option('--out <dir>', 'run directory (default: runs/<experiment>/<timestamp>-<seed>)')
    .option('--json', 'no progress output; print one JSON summary line at the end')
    .option('--workers <n>', 'compare: runs trained at once, in child processes (default: one per core)')
    .option(
      '--seeds <n>',
      'compare: train every variant with n seeds, --seed, --seed + 1, …, each in <out>/<variant>/seed-<s>/; the report gives mean ± sd, 95% intervals and which differences the seeds support (default 1: <out>/<variant>/)',
    );
  addOptionTable(run);
  run.addHelpText(
    'after',
    `\nExperiments:\n${Object.entries(DESCRIPTIONS)
      .map(([k, v]) => `  ${k.padEnd(8)} ${v}`)
      .join('\n')}\n\nOption values not given come from the preset.\n\n${EXIT_CODES}`,
  );
  run.action(async (experiment: string, raw: Record<string, unknown>) => {
    await commands.run(experiment, {
      preset: raw.preset as string,
      out: raw.out as string | undefined,
      json: raw.json === true,
      workers: parseCount('--workers', raw.workers),
      seeds: parseCount('--seeds', raw.seeds),
      overrides: overridesOf(raw),
    });
  });

  addSweepCommands(program, commands);

  program
    .command('resume')
    .argument('<run-dir>', 'a run directory (or a compare directory)')
    .description('continue a run from its last checkpoint (after a crash, kill or Ctrl-C)')
    .option('--json', 'no progress output; print one JSON summary line at the end')
    .option('--workers <n>', 'compare: runs trained at once, in child processes (default: one per core)')
    .option('--no-report', 'do not write report.html at the end')
    .option(
      '--until-epoch <n>',
      'pause after epoch n with its checkpoint (a later resume trains on); sweeps use it for the rungs of --halving',
    )
    .action(
      async (dir: string, o: { json?: boolean; workers?: string; report: boolean; untilEpoch?: string }) =>
        commands.resume(dir, {
          json: o.json === true,
          workers: parseCount('--workers', o.workers),
          report: o.report,
          untilEpoch: parseCount('--until-epoch', o.untilEpoch),
        }),
    );

  program
    .command('report')
    .argument('<run-dirs...>', 'one or more run directories')
    .description('write one HTML report comparing runs side by side')
    .option(
      '--out <file>',
      'report file (default: report.html in the first run directory, or the compare directory)',
    )
    .option('--title <text>', 'report title')
    .option('--baseline <run>', 'the run the others are compared with (dir or name)')
    .option('--json', 'print the report path as JSON')
    .action(async (dirs: string[], o: { out?: string; title?: string; baseline?: string; json?: boolean }) =>
      commands.report(dirs, { out: o.out, title: o.title, baseline: o.baseline, json: o.json === true }),
    );

  program
    .command('list')
    .argument('[runs-dir]', 'where to look for runs (default: runs)')
    .description('list experiments, presets and the runs found under runs-dir')
    .option('--json', 'machine-readable output')
    .action(async (dir: string | undefined, o: { json?: boolean }) =>
      commands.list(dir, { json: o.json === true }),
    );

  program
    .command('bench')
    .description("benchmark the fused kernels (the kernels' bench; its own options follow)")
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .action(async (args: string[]) => commands.bench(args ?? []));

  return program;
}
