/**
 * The per-step LSTM / GRU state probes' numbers (`state-variance`, `state-gradients`:
 * ../../probes/lstm-state-keys.ts) of an experiment's runs, for the report sections of
 * `variance-over-time` and `gradient-flow-*`: each run's rows of one probe, a row's curve over the
 * steps t, and the last epoch's row by seed. Training time is in epochs as in ./activation-values.ts
 * ('start' 0, batch b of epoch 1 at b / N, the end of epoch e at e).
 */
import {
  perStep,
  STATE_NAMES,
  stateLayers,
  type StateMode,
  type StateName,
} from '../../probes/lstm-state-keys.js';
import { readProbes, type ProbeRecord } from '../../store/probes-log.js';
import { runPaths } from '../../store/run-dir.js';
import type { ReportSectionInput } from '../definition.js';
import { epochsAt, pairedRatio, type PairedRatio } from './activation-values.js';
import type { BySeed } from './seed-values.js';

/** One run's rows of a state probe. */
export interface StateRun {
  seed: number;
  rows: ProbeRecord[];
}

/** One curve: which layer, mode and state. */
export interface Curve {
  layer: string;
  mode: StateMode;
  state: StateName;
}

/** Every variant's runs that have rows of `probe`, by variant name. */
export function stateRuns(input: ReportSectionInput, probe: string): Map<string, StateRun[]> {
  return new Map(
    input.variants.map((v) => [
      v.name,
      v.runs.flatMap((r): StateRun[] => {
        const rows = readProbes(runPaths(r.dir).probes).filter((row) => row.probe === probe);
        return rows.length === 0 ? [] : [{ seed: r.seed, rows }];
      }),
    ]),
  );
}

/** The recurrent layers measured, from the first run that has rows. */
export function measuredLayers(runs: Map<string, StateRun[]>): string[] {
  for (const list of runs.values()) for (const run of list) return stateLayers(run.rows[0]!.values);
  return [];
}

/** What a state section reads: the layers measured, the variants with rows and each one's runs. */
export interface StateSectionRuns {
  layers: string[];
  variants: string[];
  of: (variant: string) => StateRun[];
}

/** The runs of `probe` in the experiment's variants (in their order), or null where none has rows. */
export function stateSectionRuns(input: ReportSectionInput, probe: string): StateSectionRuns | null {
  const runs = stateRuns(input, probe);
  const layers = measuredLayers(runs);
  if (layers.length === 0) return null;
  const of = (name: string): StateRun[] => runs.get(name) ?? [];
  const variants = input.variants.map((v) => v.name).filter((name) => of(name).length > 0);
  return { layers, variants, of };
}

/** The states of `layer` with values in the runs' last rows: h and c for an LSTM, h for a GRU. */
export function measuredStates(
  variants: readonly string[],
  of: (variant: string) => StateRun[],
  layer: string,
): StateName[] {
  return STATE_NAMES.filter((state) =>
    variants.some((v) =>
      of(v).some((run) => curveAt(run, 'last', { layer, mode: 'inference', state }).length > 0),
    ),
  );
}

/** The row after the last epoch, or the 'start' row (before training), of a run. */
export function rowAt(run: StateRun, when: 'start' | 'last'): ProbeRecord | undefined {
  return when === 'start'
    ? run.rows.find((r) => r.at === 'start')
    : run.rows.filter((r) => r.at === 'epoch').at(-1);
}

/** The curve over the steps in a run's row `when` (empty without that row). */
export function curveAt(run: StateRun, when: 'start' | 'last', c: Curve): number[] {
  const row = rowAt(run, when);
  return row === undefined ? [] : perStep(row.values, c.layer, c.mode, c.state);
}

/** `f(curve)` of each run's row `when`, by seed (non-finite values and empty curves left out). */
export function curveBySeed(
  runs: readonly StateRun[],
  when: 'start' | 'last',
  c: Curve,
  f: (curve: number[]) => number,
): BySeed {
  const out: BySeed = new Map();
  for (const run of runs) {
    const curve = curveAt(run, when, c);
    if (curve.length === 0) continue;
    const v = f(curve);
    if (Number.isFinite(v)) out.set(run.seed, v);
  }
  return out;
}

/** `f(curve)` over training time for one run (each row that has the curve). */
export function overTraining(
  run: StateRun,
  c: Curve,
  f: (curve: number[]) => number,
): { epochs: number; value: number }[] {
  const perEpoch = run.rows.find((r) => r.at === 'epoch')?.batch ?? 1;
  return run.rows.flatMap((row) => {
    const curve = perStep(row.values, c.layer, c.mode, c.state);
    return curve.length === 0 ? [] : [{ epochs: epochsAt(row, perEpoch), value: f(curve) }];
  });
}

/** The geometric mean of positive numbers (how curves on a log scale are averaged over seeds). */
export function geometricMean(xs: readonly number[]): number {
  return Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
}

/**
 * The geometric mean over seeds of each step of the curves in the runs' rows `when`, as points
 * { step, value } (1-based steps; steps where some run has no positive value are left out).
 */
export function meanCurve(
  runs: readonly StateRun[],
  when: 'start' | 'last',
  c: Curve,
): { step: number; value: number }[] {
  const curves = runs.map((r) => curveAt(r, when, c)).filter((x) => x.length > 0);
  if (curves.length === 0) return [];
  const steps = Math.min(...curves.map((x) => x.length));
  return Array.from({ length: steps }, (_, k) => ({
    step: k + 1,
    value: geometricMean(curves.map((x) => x[k]!)),
  })).filter((p) => Number.isFinite(p.value) && p.value > 0);
}

/** pairedRatio(a, b), or null when no seed has a positive value in both (nothing to pair). */
export function ratioOverSeeds(a: BySeed, b: BySeed): PairedRatio | null {
  const shared = [...a].filter(([s, v]) => v > 0 && (b.get(s) ?? 0) > 0);
  return shared.length === 0 ? null : pairedRatio(a, b);
}
