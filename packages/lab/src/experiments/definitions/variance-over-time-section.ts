/**
 * The `variance-over-time` report section, from `--probe state-variance` (Var(h_t), Var(c_t)
 * across the units and examples of the probe batch at every step t, each sequence from the zero
 * state; ../../probes/state-variance.ts), with intervals over seeds (paired ratios of
 * ./activation-values.ts, since variances compare by ratios):
 *
 * 1. within a sequence, after the last epoch: how much Var(s_t) grows from t = 1 to t = T, and the
 *    step by which it reaches 90% of its largest value (on the mean curve over seeds);
 * 2. training mode over inference at t = T, for each variant with noise: what the masks do to
 *    the variance while training;
 * 3. each variant over the baseline at inference at t = T: what training with the regularizer did
 *    to the states the model learned;
 * 4. across epochs: Var(s_T) at inference after the last epoch over before training.
 *
 * Figures (the first recurrent layer): Var(h_t) and Var(c_t) against t after the last epoch, and
 * Var(h_T), Var(c_T) over training time. A GRU (`--cell gru`) has no cell: h alone.
 */
import { STATE_MODES } from '../../probes/lstm-state-keys.js';
import type { Cell } from '../../report/section-html.js';
import type { Figure } from '../../report/index.js';
import type { ExperimentSection, ReportSectionInput } from '../definition.js';
import { changeText, meanText, overSeeds, type PairedRatio, ratioText } from './activation-values.js';
import { stepsFigure, trainingFigure } from './state-figures.js';
import { noStateRowsSection, stateTableSection } from './state-section.js';
import {
  type Curve,
  curveBySeed,
  meanCurve,
  measuredStates,
  ratioOverSeeds,
  type StateSectionRuns,
  stateSectionRuns,
} from './state-probe-values.js';

export const PROBE = 'state-variance';

const first = (c: number[]) => c[0]!;
const last = (c: number[]) => c.at(-1)!;
const q = (s: string) => `“${s}”`;
const rt = (r: PairedRatio | null) => (r === null ? '—' : ratioText(r));

/** The first step (1-based) at which a curve reaches `share` of its largest value, or null. */
export function stepReaching(curve: readonly number[], share: number): number | null {
  if (curve.length === 0) return null;
  const top = Math.max(...curve);
  const k = curve.findIndex((v) => v >= share * top);
  return k < 0 ? null : k + 1;
}

export function varianceOverTimeSection(input: ReportSectionInput, baseline: string): ExperimentSection {
  const title = 'Variance of h_t and c_t within a sequence and over training';
  const measured = stateSectionRuns(input, PROBE);
  if (measured === null) return noStateRowsSection('variance-over-time', title, PROBE);
  const { layers, variants, of } = measured;
  const said: string[] = [];
  const rows: Cell[][] = [];
  for (const layer of layers) {
    const where = layers.length > 1 ? ` (${layer})` : '';
    for (const state of measuredStates(variants, of, layer)) {
      const inf: Curve = { layer, mode: 'inference', state };
      const train: Curve = { layer, mode: 'train', state };
      // 1. Within a sequence.
      const growth = variants.map((v) => {
        const r = ratioOverSeeds(
          curveBySeed(of(v), 'last', inf, last),
          curveBySeed(of(v), 'last', inf, first),
        );
        const reach = stepReaching(
          meanCurve(of(v), 'last', inf).map((p) => p.value),
          0.9,
        );
        return `${rt(r)} in ${q(v)}${reach === null ? '' : ` (90% of its largest value by t = ${reach})`}`;
      });
      const T = meanCurve(of(variants[0]!), 'last', inf).length;
      said.push(
        `Within a sequence${where}, at inference after the last epoch: Var(${state}_t) changes from t = 1 to t = ${T} by ${growth.join(', ')}.`,
      );
      // 2. Training mode over inference, for variants with noise.
      for (const v of variants) {
        const r = ratioOverSeeds(
          curveBySeed(of(v), 'last', train, last),
          curveBySeed(of(v), 'last', inf, last),
        );
        if (r === null || (Math.abs(Math.log(r.ratio)) < 1e-6 && (r.low === null || r.high! - r.low < 1e-6)))
          continue; // no noise
        said.push(
          `${q(v)}${where}: training mode ${changeText(r, `Var(${state}_T)`)} relative to inference (the masks while training).`,
        );
      }
      // 3. Each variant over the baseline at inference.
      for (const v of variants.filter((v) => v !== baseline && of(baseline).length > 0)) {
        const r = ratioOverSeeds(
          curveBySeed(of(v), 'last', inf, last),
          curveBySeed(of(baseline), 'last', inf, last),
        );
        if (r !== null)
          said.push(
            `${q(v)}${where}: training with it ${changeText(r, `Var(${state}_T) at inference`)} relative to ${q(baseline)} (what the learned weights do, masks off).`,
          );
      }
      // 4. Across epochs.
      const epochs = variants.map(
        (v) =>
          `${rt(ratioOverSeeds(curveBySeed(of(v), 'last', inf, last), curveBySeed(of(v), 'start', inf, last)))} in ${q(v)}`,
      );
      said.push(
        `Over training${where}: Var(${state}_T) at inference after the last epoch over before training: ${epochs.join(', ')}.`,
      );
      for (const v of variants)
        for (const mode of STATE_MODES) {
          const c: Curve = { layer, mode, state };
          const cell = (when: 'start' | 'last', f: (c: number[]) => number) => {
            const s = overSeeds(curveBySeed(of(v), when, c, f));
            return s === null ? '—' : meanText(s);
          };
          rows.push([
            layer,
            v,
            state,
            mode,
            cell('start', last),
            cell('last', first),
            cell('last', last),
            rt(ratioOverSeeds(curveBySeed(of(v), 'last', c, last), curveBySeed(of(v), 'last', c, first))),
          ]);
        }
    }
  }
  return stateTableSection({
    id: 'variance-over-time',
    title,
    intro:
      'Variance of the states across the units and the examples of the probe batch (each sequence from the zero state), mean ± 95% half-width over seeds; ' +
      'the growth over the sequence is paired over seeds (95% CI).',
    columns: [
      { title: 'Var(s_T) before training', num: true },
      { title: 'Var(s_1), last epoch', num: true },
      { title: 'Var(s_T), last epoch', num: true },
      { title: 'Var(s_T) / Var(s_1)', num: true },
    ],
    rows,
    said,
    figures: figures(measured),
  });
}

function figures({ layers, variants, of }: StateSectionRuns): Figure[] {
  const layer = layers[0]!;
  const states = measuredStates(variants, of, layer);
  const overSteps = states.map((state) =>
    stepsFigure({
      id: `variance-over-time-${state}`,
      title: `Var(${state}_t) within a sequence after the last epoch (${layer})`,
      caption: `Variance of ${state}_t across units and examples against the step t (each sequence from the zero state), geometric mean over seeds, log scale: training mode (masks on, solid) and inference (dashed).`,
      yTitle: `Var(${state}_t)`,
      variants,
      of,
      layer,
      state,
    }),
  );
  const overEpochs = states.map((state) =>
    trainingFigure({
      id: `variance-over-training-${state}`,
      title: `Var(${state}_T) at the last step over training (${layer})`,
      caption: `Variance of ${state}_T at the last step of the probe sequences against training time (epoch 1 measured after batches 1, 2, 4, …), mean over seeds, log scale: training mode (solid) and inference (dashed).`,
      yTitle: `Var(${state}_T)`,
      variants,
      of,
      layer,
      state,
      f: last,
    }),
  );
  return [...overSteps, ...overEpochs];
}
