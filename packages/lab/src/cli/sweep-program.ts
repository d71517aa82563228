/**
 * The `sweep` and `worker` commands of the command line (commander): flags and help; the work is
 * in sweep-commands.ts.
 */
import { type Command, Option } from 'commander';
import { EXPERIMENTS } from '../config/options.js';
import { DEFINITIONS } from '../experiments/definitions/index.js';
import { PRESETS } from '../experiments/presets.js';
import { ConfigError } from '../errors.js';
import { addOptionTable, collect, overridesOf, parseCount } from './option-flags.js';
import type { SweepCommands } from './sweep-commands.js';

const QUEUE_HELP =
  'a Redis server for BullMQ, redis://[:password@]host:port[/db] (the password may also come from REGULAB_REDIS_PASSWORD)';

export function addSweepCommands(program: Command, commands: SweepCommands): void {
  const sweep = program
    .command('sweep')
    .argument(
      '[target]',
      `a task or an experiment: ${[...DEFINITIONS.map((d) => d.name), ...EXPERIMENTS].join(', ')}`,
    )
    .description(
      'train a grid (or random search) of option values × seeds, each run an ordinary run directory, and report on them',
    )
    .option(
      '--grid <name=v1,v2,...>',
      "an axis: an option of 'run' (dropout, weight-decay, …) or a model-spec path as in --set (repeatable)",
      collect,
    )
    .option('--range <name=lo:hi[:log]>', 'a numeric range for --search random (repeatable)', collect)
    .addOption(
      new Option('--search <kind>', 'grid: every combination; random: --trials draws')
        .choices(['grid', 'random'])
        .default('grid'),
    )
    .option('--trials <n>', '--search random: how many cells to draw')
    .option('--seeds <n>', 'seeds per cell: --seed, --seed + 1, … (default 1)')
    .option(
      '--halving',
      'asynchronous successive halving (ASHA): stop the worse trials at each rung of epochs',
    )
    .option('--rung-epochs <n>', '--halving: epochs of the first rung (default 1)')
    .option('--reduction <eta>', '--halving: keep the best 1/η of each rung (default 3)')
    .option('--workers <n>', 'runs trained at once on this machine (default: one per core)')
    .option('--queue <url>', `put the runs on a queue for 'regulab worker's instead: ${QUEUE_HELP}`)
    .option('--status <sweep-dir>', 'show how far a sweep is (read from its directory) and exit')
    .option('--preset <name>', `named option bundle: ${PRESETS.join(', ')}`, 'default')
    .option(
      '--out <dir>',
      'sweep directory (default: runs/sweeps/<target>-<hash of the sweep>, so the same command finds it again)',
    )
    .option('--json', 'no progress output; print one JSON summary line at the end');
  addOptionTable(sweep);
  sweep.action(async (target: string | undefined, raw: Record<string, unknown>) => {
    if (raw.status !== undefined) {
      await commands.sweepStatus(raw.status as string, { json: raw.json === true });
      return;
    }
    if (target === undefined)
      throw new ConfigError('sweep: give a task or experiment to sweep (or --status <dir>)');
    const {
      grid,
      range,
      search,
      trials,
      seeds,
      halving,
      rungEpochs,
      reduction,
      workers,
      queue,
      preset,
      out,
      json,
    } = raw;
    if (!halving && (rungEpochs !== undefined || reduction !== undefined))
      throw new ConfigError('--rung-epochs and --reduction apply to --halving');
    await commands.sweep(target, {
      grid: (grid as string[] | undefined) ?? [],
      range: (range as string[] | undefined) ?? [],
      search: search as 'grid' | 'random',
      trials: parseCount('--trials', trials),
      seeds: parseCount('--seeds', seeds) ?? 1,
      halving: halving
        ? {
            rungEpochs: parseCount('--rung-epochs', rungEpochs) ?? 1,
            reduction: parseCount('--reduction', reduction) ?? 3,
          }
        : undefined,
      workers: parseCount('--workers', workers),
      queue: queue as string | undefined,
      preset: preset as string,
      out: out as string | undefined,
      json: json === true,
      overrides: overridesOf(raw),
    });
  });

  program
    .command('worker')
    .description(
      'take runs of sweeps from a queue and train them, until stopped (Ctrl-C: the run in hand goes back to the queue)',
    )
    .requiredOption('--queue <url>', QUEUE_HELP)
    .requiredOption(
      '--store <dir>',
      "the directory holding the sweeps' directories, shared by every worker and the sweep (its --out's parent)",
    )
    .option(
      '--lock-seconds <n>',
      'a run whose worker has not been heard from for this long is given to another worker (default 30)',
    )
    .option('--json', 'one JSON line per run taken and ended')
    .action(async (o: { queue: string; store: string; lockSeconds?: string; json?: boolean }) =>
      commands.worker({
        queue: o.queue,
        store: o.store,
        lockSeconds: parseCount('--lock-seconds', o.lockSeconds) ?? 30,
        json: o.json === true,
      }),
    );
}
