/**
 * An experiment, declared as data: which task it trains, the task options of each preset, the
 * named variants (each a set of option overrides), how many seeds by default, and what its report
 * shows. `regulab run <name>` finds the definition in the registry (definitions/index.ts) and
 * trains every variant for every seed, each in its own resumable run directory
 * (experiment-runner.ts); adding an experiment is adding a definition file (and, if it needs one,
 * a report section), with no edits to the builders or the CLI.
 *
 * How a variant's config is made, for seed s of `--seeds N` (s = base seed + k, k = 0 … N − 1):
 *
 *   task preset values  ←  preset.options  ←  command-line options  ←  variant.options
 *     ←  variant.presetOptions[preset]  ←  seed s
 *
 * (later wins; the command line may not set an option that any variant sets, since the variants
 * would silently override it).
 */
import type { ExperimentName, OptionValues } from '../config/options.js';
import type { PresetName } from './presets.js';
import type { Progress } from '../train/progress.js';
import type { MetricName, ReportSection, SeedMeasure, SeedStatistics } from '../report/index.js';

/** The tasks an experiment can train (each has its own options and presets). */
export type TaskName = ExperimentName;

/** Option values, keyed like the option table (`hidden`, `zoneoutCell`, …). */
export type Options = Partial<OptionValues>;

/** What a definition's options may depend on: the environment the job starts in. */
export interface DefinitionContext {
  /** `rl.kernels.backend()`: 'native', 'wasm' or 'reference' (the slow tfjs path). */
  kernelBackend: string;
}

/** One preset of an experiment: the task preset it starts from and its own option values. */
export interface ExperimentPreset {
  /** The task's preset under these options (presets.ts). */
  taskPreset: PresetName;
  options: Options | ((context: DefinitionContext) => Options);
}

/**
 * Edits of the model spec (issue 9's model-spec work): `set` holds `path=value` edits in the
 * syntax of `--set` (e.g. `layers.2.rate=0.3`, `lstm*.normalization=layer`), applied after the
 * command line's own --set edits (experiment-config.ts).
 */
export interface SpecOverrides {
  set?: readonly string[];
}

/** One arm of an experiment. */
export interface VariantDefinition {
  /** Directory and report name: lowercase letters, digits and dashes. */
  name: string;
  /** What the variant is, in words (report, config.json). */
  label: string;
  /** Task options this variant sets on top of the base. */
  options: Options;
  /**
   * Options this variant sets only under a given preset (by preset name), on top of `options`:
   * e.g. a training length that one variant needs at the default preset but not in the quick one.
   */
  presetOptions?: Readonly<Record<string, Options>>;
  /** Model-spec edits (see SpecOverrides). */
  spec?: SpecOverrides;
}

/** What the report of an experiment shows. */
export interface ExperimentReport {
  title: string;
  /** The headline metric (default: the task's — bpc, perplexity or accuracy). */
  metric?: MetricName;
  /**
   * The numbers compared across seeds, each taken at the best validation epoch: 'test' and/or
   * 'valid' (default: both, test first).
   */
  measures?: readonly SeedMeasure[];
  /**
   * An extra section of the report, computed from the experiment's runs (e.g. a figure no other
   * experiment needs). Called once the runs are done; its HTML goes after the conclusions, and its
   * own conclusions (if any) after the seed statistics' (in the report, the CLI's output and
   * summary.json).
   */
  section?: (input: ReportSectionInput) => ExperimentSection | Promise<ExperimentSection>;
}

/**
 * A report section of an experiment (with its figures, drawn after its HTML: ReportSection) and
 * the conclusions it draws from its own numbers.
 */
export interface ExperimentSection extends ReportSection {
  conclusions?: readonly string[];
}

/** What a report section is given. */
export interface ReportSectionInput {
  /** The variants in definition order, each with its run directories (one per seed) by seed. */
  variants: { name: string; label: string; runs: { seed: number; dir: string }[] }[];
  /** Mean ± sd, intervals and paired comparisons (null with one seed). */
  statistics: SeedStatistics | null;
  /**
   * The report's directory: a section may keep
   * the numbers it computed beside the report (`<reportDir>/<experiment>.json`).
   */
  reportDir: string;
  /** Where a section that computes for long (evaluating every run) shows how far it is. */
  progress?: Progress;
}

/** An experiment, declared as data (see the module doc). */
export interface ExperimentDefinition {
  /** `regulab run <name>`. */
  name: string;
  /** One line for `regulab list` and `--help`. */
  description: string;
  task: TaskName;
  presets: Readonly<Record<string, ExperimentPreset>>;
  variants: readonly VariantDefinition[];
  /** The variant the others are compared with. */
  baseline: string;
  /** Seeds per variant when `--seeds` is not given (default 1). */
  seeds?: number;
  report: ExperimentReport;
}
