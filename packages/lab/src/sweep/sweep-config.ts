/**
 * A sweep, resolved once when it starts and kept in `<dir>/sweep.json`: the target (a task such as
 * `charlm`, or an experiment definition such as `compare`, whose variants become an axis named
 * `variant`), the axes, the seeds, the successive-halving rungs if any, and every cell with its
 * validated task config. A restarted sweep reads its cells from this file (random draws included),
 * so it runs the same sweep whatever the definitions or the command line say now.
 *
 * Layout of a sweep directory:
 *
 *     sweep.json                   this file
 *     <cell>/seed-<s>/             an ordinary run directory per cell and seed (`regulab resume` works on it)
 *     report.html, plots/          the sweep report (sweep-report.ts)
 *     summary.json                 written when the sweep ends
 *
 * A cell's config is made as `regulab run` would make it with the sweep's own options plus the
 * cell's values (`--grid dropout=0.25` is `--dropout 0.25`, `--grid lstm*.normalization=layer` is
 * `--set lstm*.normalization=layer`), so it is validated by the same schema, with the same errors.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { flagName, OPTIONS, type OptionKey, parseOptionValue } from '../config/options.js';
import { mixSeeds, uniformGenerator } from '../datasets/seeded-random.js';
import { ConfigError } from '../errors.js';
import { type ExperimentConfig, resolveConfig, validateConfig } from '../experiments/config.js';
import { resolveExperiment } from '../experiments/experiment-config.js';
import { findDefinition } from '../experiments/definitions/index.js';
import { readJson } from '../store/run-dir.js';
import { SWEEP_FILE } from './sweep-dir.js';
import { type AxisTarget, type GridAxis, type RangeAxis, sampleRange } from './axes.js';

/** What the command line asks for. */
export interface SweepRequest {
  /** A task (`charlm`, …) or an experiment definition (`compare`, …). */
  target: string;
  preset: string;
  /** The options every cell shares (flags of `regulab run`), parsed. */
  overrides: Partial<Record<OptionKey, unknown>>;
  grid: GridAxis[];
  ranges: RangeAxis[];
  /** 'grid': every combination; 'random': `trials` draws from the grid values and ranges. */
  search: 'grid' | 'random';
  trials?: number;
  seeds: number;
  /** Asynchronous successive halving: the first rung's epochs and the reduction factor η. */
  halving?: { rungEpochs: number; reduction: number };
}

/** One cell: its directory name, its axis values (as text) and its config (seed: the first). */
export interface SweepCell {
  name: string;
  values: Record<string, string>;
  config: ExperimentConfig;
}

/** What sweep.json holds. */
export interface SweepConfig {
  version: 1;
  target: string;
  preset: string;
  search: 'grid' | 'random';
  /** Axis names in order (`variant` first for an experiment definition). */
  axes: string[];
  seeds: number[];
  /** Successive halving: the epochs of each rung (the last is the runs' --epochs) and η. */
  halving?: { rungs: number[]; reduction: number };
  cells: SweepCell[];
}

const MAX_SEED = 2 ** 31 - 1;

/** Resolves a sweep request into its cells, validating every cell's config. */
export function resolveSweep(request: SweepRequest): SweepConfig {
  const definition = findDefinition(request.target);
  // An experiment's variants are one more axis, first; the variant sets its own options.
  const axes: { name: string; values: string[] }[] = [
    ...(definition ? [{ name: 'variant', values: definition.variants.map((v) => v.name) }] : []),
    ...request.grid,
  ];
  const names = [...axes, ...request.ranges].map((a) => a.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new ConfigError(`the axis ${twice} is given twice`);
  for (const a of [...request.grid, ...request.ranges])
    if ('option' in a.target && request.overrides[a.target.option] !== undefined)
      throw new ConfigError(
        `${flagName(a.target.option)} is given and swept (--grid/--range ${a.name}): drop one`,
      );
  if (!Number.isInteger(request.seeds) || request.seeds < 1)
    throw new ConfigError(`--seeds: must be a positive integer, got ${request.seeds}`);
  if (request.search === 'grid' && request.ranges.length > 0)
    throw new ConfigError('--range needs --search random (a grid takes --grid values)');
  if (request.halving && request.seeds > 1)
    throw new ConfigError('--halving ranks single runs: give one seed per trial (drop --seeds)');

  const points: Record<string, string>[] =
    request.search === 'grid' ? product(axes) : randomPoints(request, axes);
  if (points.length === 0) throw new ConfigError('the sweep has no cells: give --grid or --range axes');
  const width = String(points.length).length;
  const prefix = request.search === 'grid' ? 'c' : 't';
  const cells = points.map((values, i) => ({
    name: `${prefix}${String(i + 1).padStart(width, '0')}-${slug(values)}`,
    values,
    config: cellConfig(request, values, [...request.grid, ...request.ranges]),
  }));
  const first = cells[0]!.config.seed;
  if (first + request.seeds - 1 > MAX_SEED)
    throw new ConfigError(
      `--seeds ${request.seeds} from --seed ${first} passes the largest seed, ${MAX_SEED}`,
    );
  const sweep: SweepConfig = {
    version: 1,
    target: request.target,
    preset: request.preset,
    search: request.search,
    axes: names,
    seeds: Array.from({ length: request.seeds }, (_, k) => first + k),
    cells,
  };
  if (request.halving) sweep.halving = halvingRungs(request.halving, cells);
  return sweep;
}

/** Every combination of the axes' values, the first axis outermost. */
function product(axes: readonly { name: string; values: string[] }[]): Record<string, string>[] {
  return axes.reduce<Record<string, string>[]>(
    (points, axis) => points.flatMap((p) => axis.values.map((v) => ({ ...p, [axis.name]: v }))),
    [{}],
  );
}

/** `trials` points: each grid axis a uniform choice of its values, each range a draw from it. */
function randomPoints(
  request: SweepRequest,
  axes: readonly { name: string; values: string[] }[],
): Record<string, string>[] {
  const trials = request.trials;
  if (trials === undefined || !Number.isInteger(trials) || trials < 1)
    throw new ConfigError('--search random needs --trials <n> (a positive integer)');
  const seed = Number(request.overrides.seed ?? 1);
  const u = uniformGenerator(mixSeeds(seed, 0x5eeb));
  return Array.from({ length: trials }, () => ({
    ...Object.fromEntries(axes.map((a) => [a.name, a.values[Math.floor(u() * a.values.length)]!])),
    ...Object.fromEntries(request.ranges.map((r) => [r.name, sampleRange(r, u())])),
  }));
}

/** The config of one cell, as `regulab run` would resolve it (errors name the cell). */
function cellConfig(
  request: SweepRequest,
  values: Record<string, string>,
  axes: readonly { name: string; target: AxisTarget }[],
): ExperimentConfig {
  const overrides: Partial<Record<OptionKey, unknown>> = { ...request.overrides };
  for (const axis of axes) {
    const value = values[axis.name]!;
    if ('spec' in axis.target) {
      overrides.set = [...((overrides.set as string[] | undefined) ?? []), `${axis.target.spec}=${value}`];
    } else {
      const key = axis.target.option;
      overrides[key] =
        OPTIONS[key].parse === 'list'
          ? [...((overrides[key] as string[] | undefined) ?? []), value]
          : parseOptionValue(key, value);
    }
  }
  try {
    const definition = findDefinition(request.target);
    if (definition === undefined) return resolveConfig(request.target, request.preset, overrides);
    const job = resolveExperiment(definition, request.preset, overrides, 1);
    return job.variants.find((v) => v.name === values.variant)!.config;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    throw new ConfigError(`cell ${describeCell(values)}: ${e.message}`);
  }
}

/** The rungs of successive halving: r, rη, rη², … below the runs' epochs, then their epochs. */
function halvingRungs(
  { rungEpochs, reduction }: { rungEpochs: number; reduction: number },
  cells: readonly SweepCell[],
): { rungs: number[]; reduction: number } {
  if (!Number.isInteger(rungEpochs) || rungEpochs < 1)
    throw new ConfigError(`--rung-epochs: must be a positive integer, got ${rungEpochs}`);
  if (!Number.isInteger(reduction) || reduction < 2)
    throw new ConfigError(`--reduction: must be an integer ≥ 2, got ${reduction}`);
  const epochs = new Set(cells.map((c) => c.config.epochs));
  if (epochs.size > 1) throw new ConfigError('--halving needs every cell to have the same --epochs');
  const max = [...epochs][0]!;
  if (rungEpochs >= max)
    throw new ConfigError(
      `--rung-epochs ${rungEpochs} leaves no rung below --epochs ${max}: give more epochs`,
    );
  const rungs: number[] = [];
  for (let r = rungEpochs; r < max; r *= reduction) rungs.push(r);
  return { rungs: [...rungs, max], reduction };
}

/** `dropout=0.25, lr=0.001`: a cell in words. */
export function describeCell(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

/** A directory-name-safe summary of the values (the cell's number makes the name unique). */
function slug(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}=${v}`)
    .join('_')
    .replace(/[^A-Za-z0-9.=+_-]/g, '-')
    .slice(0, 80);
}

/** One run of a sweep: a cell with one seed, and its directory relative to the sweep's. */
export interface SweepRun {
  cell: SweepCell;
  seed: number;
  /** `<cell>/seed-<s>`: also the run's key in the queue. */
  key: string;
  config: ExperimentConfig;
}

/** Every run of the sweep, cell by cell, seed by seed. */
export function sweepRuns(sweep: SweepConfig): SweepRun[] {
  return sweep.cells.flatMap((cell) =>
    sweep.seeds.map((seed) => ({
      cell,
      seed,
      key: join(cell.name, `seed-${seed}`),
      config: { ...cell.config, seed },
    })),
  );
}

const SweepSchema = z.object({
  version: z.literal(1),
  target: z.string(),
  preset: z.string(),
  search: z.enum(['grid', 'random']),
  axes: z.array(z.string()),
  seeds: z.array(z.number().int().min(0).max(MAX_SEED)).min(1),
  halving: z
    .object({ rungs: z.array(z.number().int().positive()).min(2), reduction: z.number().int().min(2) })
    .optional(),
  cells: z
    .array(
      z.object({
        name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.=+_-]*$/),
        values: z.record(z.string(), z.string()),
        config: z.unknown(),
      }),
    )
    .min(1),
});

/** Reads and validates `<dir>/sweep.json` (every cell's config through the run schema). */
export function readSweep(dir: string): SweepConfig {
  const file = join(dir, SWEEP_FILE);
  const parsed = SweepSchema.safeParse(readJson(file));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(
      `${file}: not a sweep this version of regulab can continue (${issue.path.join('.') || 'sweep'}: ${issue.message}); start the sweep anew in another directory`,
    );
  }
  const cells = parsed.data.cells.map((c) => ({
    ...c,
    config: validateConfig(c.config, `${file} cell ${c.name}`),
  }));
  return { ...parsed.data, cells };
}
