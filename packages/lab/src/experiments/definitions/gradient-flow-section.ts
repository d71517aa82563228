/**
 * The report section of `gradient-flow-pmnist` and `gradient-flow-charlm`, from `--probe
 * state-gradients` (‖∂L/∂h_t‖, ‖∂L/∂c_t‖ at every step t for a loss at the last step T;
 * ../../probes/state-gradients.ts). For each variant, state s ∈ {h, c} and mode:
 *
 *   reach_s = ‖∂L/∂s_1‖ / ‖∂L/∂s_T'‖           the share of the gradient next to the loss that
 *                                              reaches the first step (T' = T for h, T − 1 for c:
 *                                              reachOf),
 *
 * after the last epoch, and each variant's reach over the baseline's, paired over seeds (ratios,
 * ./activation-values.ts). The folklore "zoneout lets gradients flow further back" (Krueger et
 * al. 2017) is checked on the training-mode reach of ∂L/∂c_t and ∂L/∂h_t: against no
 * regularization, and against recurrent dropout at the same rate. The inference-mode reach
 * separates the masks' own effect from that of the weights they led to.
 *
 * Figures (first recurrent layer, log scale): ‖∂L/∂h_t‖ and ‖∂L/∂c_t‖ against t after the last
 * epoch, and the reach of h over training time. Reaches average over seeds geometrically. A GRU
 * (`--cell gru`) has no cell: its section and figures speak of h alone.
 */
import { STATE_MODES } from '../../probes/lstm-state-keys.js';
import type { Cell } from '../../report/section-html.js';
import type { Figure } from '../../report/index.js';
import type { ExperimentSection, ReportSectionInput } from '../definition.js';
import type { BySeed } from './seed-values.js';
import { changeText, meanText, overSeeds, type PairedRatio, ratioText } from './activation-values.js';
import { stepsFigure, trainingFigure } from './state-figures.js';
import { noStateRowsSection, stateTableSection } from './state-section.js';
import {
  type Curve,
  geometricMean,
  curveBySeed,
  meanCurve,
  measuredStates,
  ratioOverSeeds,
  type StateSectionRuns,
  stateSectionRuns,
} from './state-probe-values.js';

export const PROBE = 'state-gradients';

/**
 * The last step (1-based) whose gradient norm is not 0: the loss's own step T for h; T − 1 for
 * c, since c_T feeds no later step and h_T is computed before the hook sees c_T (∂L/∂c_T = 0).
 */
export function lossStep(c: readonly number[]): number {
  for (let k = c.length - 1; k >= 0; k--) if (c[k]! > 0) return k + 1;
  return 0;
}

/**
 * The reach of a curve of gradient norms over the steps: ‖∂L/∂s_1‖ / ‖∂L/∂s_T'‖ with T' =
 * lossStep(c), the share of the gradient next to the loss that arrives at the first step (above 1
 * when it grows on the way back); NaN when every norm is 0.
 */
export const reachOf = (c: readonly number[]): number => c[0]! / c[lossStep(c) - 1]!;

/** A variant compared with another by the folklore: zoneout against none or against dropout. */
export interface FlowClaim {
  /** The variant said to let the gradient further back. */
  further: string;
  /** The variant it is compared with. */
  than: string;
}

/** What a claim's paired ratio of reaches says. */
export type FlowVerdict = 'holds' | 'contradicted' | 'not separable' | 'one seed';

/** The verdict of reach(further) / reach(than) for the claim that it is above 1. */
export function flowVerdict(r: PairedRatio | null): FlowVerdict {
  if (r === null || r.low === null) return 'one seed';
  if (!r.supported) return 'not separable';
  return r.ratio > 1 ? 'holds' : 'contradicted';
}

const q = (s: string) => `“${s}”`;
const rt = (r: PairedRatio | null) => (r === null ? '—' : ratioText(r));

export function gradientFlowSection(
  input: ReportSectionInput,
  baseline: string,
  claims: readonly FlowClaim[],
  task: string,
): ExperimentSection {
  const title = `Gradient flow to earlier steps (${task})`;
  const measured = stateSectionRuns(input, PROBE);
  if (measured === null) return noStateRowsSection('gradient-flow', title, PROBE);
  const { layers, variants, of } = measured;
  const reach = (v: string, c: Curve, when: 'start' | 'last' = 'last') =>
    curveBySeed(of(v), when, c, reachOf);
  const said: string[] = [];
  const rows: Cell[][] = [];
  const geo = (values: BySeed) => (values.size === 0 ? null : geometricMean([...values.values()]));
  const sci = (x: number | null) => (x === null ? '—' : x.toExponential(2));
  for (const layer of layers) {
    const where = layers.length > 1 ? ` (${layer})` : '';
    for (const state of measuredStates(variants, of, layer)) {
      const train: Curve = { layer, mode: 'train', state };
      const inf: Curve = { layer, mode: 'inference', state };
      const base = reach(baseline, train);
      const baseReach = geo(base);
      const end = lossStep(meanCurve(of(baseline), 'last', train).map((p) => p.value));
      if (baseReach !== null && end > 1)
        said.push(
          `${q(baseline)}${where}, training mode after the last epoch: ‖∂L/∂${state}_1‖ / ‖∂L/∂${state}_${end}‖ = ${sci(baseReach)} ` +
            `(a factor ${(baseReach ** (1 / (end - 1))).toFixed(3)} per step back, geometric mean over seeds).`,
        );
      for (const v of variants.filter((v) => v !== baseline && base.size > 0)) {
        const r = ratioOverSeeds(reach(v, train), base);
        if (r === null) continue;
        const ri = ratioOverSeeds(reach(v, inf), reach(baseline, inf));
        said.push(
          `${q(v)}${where}: in training mode it ${changeText(r, `the share of ∂L/∂${state} reaching step 1`, 'raises', 'lowers')} relative to ${q(baseline)}; ` +
            `at inference (masks off) the ratio is ${rt(ri)}.`,
        );
      }
      for (const c of claims.filter((c) => variants.includes(c.further) && variants.includes(c.than))) {
        const r = ratioOverSeeds(reach(c.further, train), reach(c.than, train));
        const text = `the reach of ∂L/∂${state}${where} in training mode, ${q(c.further)} over ${q(c.than)}: ${rt(r)}`;
        said.push(
          {
            holds: `Folklore “zoneout lets gradients flow further back”: holds here — ${text}.`,
            contradicted: `Folklore “zoneout lets gradients flow further back”: wrong here — ${text}.`,
            'not separable': `Folklore “zoneout lets gradients flow further back”: not separable with ${r?.n ?? 0} seeds — ${text}.`,
            'one seed': `Folklore “zoneout lets gradients flow further back”: ${text} with one seed; an interval needs ≥ 2 seeds.`,
          }[flowVerdict(r)],
        );
      }
      for (const v of variants)
        for (const mode of STATE_MODES) {
          const c: Curve = { layer, mode, state };
          const norm = (f: (x: number[]) => number) => {
            const st = overSeeds(curveBySeed(of(v), 'last', c, f));
            return st === null ? '—' : meanText(st);
          };
          rows.push([
            layer,
            v,
            state,
            mode,
            norm((x) => x[lossStep(x) - 1] ?? NaN),
            norm((x) => x[0]!),
            sci(geo(reach(v, c, 'start'))),
            sci(geo(reach(v, c))),
            v === baseline ? '—' : rt(ratioOverSeeds(reach(v, c), reach(baseline, c))),
          ]);
        }
    }
  }
  return stateTableSection({
    id: 'gradient-flow',
    title,
    intro:
      `Norms of the gradient of the loss at the last step with respect to the states next to the loss (step T' below) and at step 1, on the probe batch ` +
      `(each sequence from the zero state), mean ± 95% half-width over seeds; the reach ‖∂L/∂s_1‖ / ‖∂L/∂s_T'‖ (T' = T for h, T − 1 for c; geometric mean over seeds) ` +
      `before training and after the last epoch, and over ${q(baseline)}'s (paired over seeds, 95% CI).`,
    columns: [
      { title: "‖∂L/∂s_T'‖", num: true },
      { title: '‖∂L/∂s_1‖', num: true },
      { title: 'reach before training', num: true },
      { title: 'reach, last epoch', num: true },
      { title: `reach over ${baseline}`, num: true },
    ],
    rows,
    said,
    figures: figures(measured, task),
  });
}

function figures({ layers, variants, of }: StateSectionRuns, task: string): Figure[] {
  const layer = layers[0]!;
  const overSteps = measuredStates(variants, of, layer).map((state) =>
    stepsFigure({
      id: `gradient-flow-${state}`,
      title: `‖∂L/∂${state}_t‖ for a loss at the last step, ${task} (${layer})`,
      caption: `Norm of the gradient of the loss at the last step with respect to ${state}_t, against t, after the last epoch: geometric mean over seeds, log scale; training mode (masks drawn, solid) and inference (dashed).`,
      yTitle: `‖∂L/∂${state}_t‖`,
      variants,
      of,
      layer,
      state,
    }),
  );
  const overEpochs = trainingFigure({
    id: 'gradient-reach-over-training',
    title: `‖∂L/∂h_1‖ / ‖∂L/∂h_T‖ over training, ${task} (${layer})`,
    caption:
      'The share of the gradient at the last step that reaches the first step, against training time: mean over seeds, log scale; training mode (solid) and inference (dashed).',
    yTitle: '‖∂L/∂h_1‖ / ‖∂L/∂h_T‖',
    variants,
    of,
    layer,
    state: 'h',
    f: reachOf,
  });
  return [...overSteps, overEpochs];
}
