/**
 * Weight sparsity of a run's dense kernels: the share of the kernel entries whose magnitude is
 * below `ratio` times the largest magnitude in the same kernel,
 *
 *   sparsity = Σ_layers #{ |w| < ratio · max|w_layer| } / Σ_layers #w_layer,
 *
 * over every 2-D weight (a Dense kernel [in, out]; biases and other weights are left out), taken
 * from the weights the run was scored with (seed-values.ts). Issue 14 asks for ratio 1e-3.
 */
import { pairedDifference, type PairedDifference } from '../../stats/index.js';
import type { StoredTensor } from '../../store/checkpoint-file.js';
import { tableSectionHtml } from '../../report/section-html.js';
import type { ExperimentSection, ReportSectionInput } from '../definition.js';
import { type BySeed, weightsBySeed } from './seed-values.js';

/** The sparsity (see the module doc) of the 2-D weights among `weights`; NaN when there is none. */
export function kernelSparsity(weights: ReadonlyMap<string, StoredTensor>, ratio: number): number {
  let small = 0;
  let total = 0;
  for (const t of weights.values()) {
    if (t.shape.length !== 2 || t.dtype !== 'float32') continue;
    let largest = 0;
    for (const w of t.data) largest = Math.max(largest, Math.abs(w));
    const threshold = ratio * largest;
    for (const w of t.data) if (Math.abs(w) < threshold) small++;
    total += t.data.length;
  }
  return total === 0 ? NaN : small / total;
}

const percent = (x: number) => `${(x * 100).toFixed(1)}%`;
const mean = (x: BySeed) => [...x.values()].reduce((p, q) => p + q, 0) / x.size;

/**
 * The report section: per variant, the mean sparsity at each ratio, and for the first ratio the
 * paired difference from the baseline with its 95% interval; its conclusions say which variant
 * is sparsest and which differences the seeds support.
 */
export function sparsitySection(
  input: ReportSectionInput,
  baseline: string,
  ratios: readonly number[],
): ExperimentSection {
  const byRatio = ratios.map((ratio) => weightsBySeed(input, (w) => kernelSparsity(w, ratio)));
  const main = byRatio[0]!;
  const base = main.get(baseline)!;
  const q = (name: string) => `“${name}”`;
  const ratioText = (ratio: number) => `${ratio.toExponential(0)} of their kernel's largest`;
  const differences = new Map<string, PairedDifference>();
  for (const v of input.variants) {
    const own = main.get(v.name)!;
    if (v.name !== baseline && own.size > 0 && base.size > 0)
      differences.set(v.name, pairedDifference(own, base));
  }
  const said: string[] = [];
  const measured = input.variants.filter((v) => main.get(v.name)!.size > 0);
  if (measured.length > 0) {
    const sparsest = measured.reduce((a, b) => (mean(main.get(b.name)!) > mean(main.get(a.name)!) ? b : a));
    said.push(
      `Sparsest dense kernels: ${q(sparsest.name)}, with ${percent(mean(main.get(sparsest.name)!))} of the weights below ${ratioText(ratios[0]!)} ` +
        `(mean over its seeds; ${measured
          .filter((v) => v !== sparsest)
          .map((v) => `${q(v.name)} ${percent(mean(main.get(v.name)!))}`)
          .join(', ')}).`,
    );
  }
  for (const [name, d] of differences) {
    const diff = `${d.mean >= 0 ? '+' : '−'}${(Math.abs(d.mean) * 100).toFixed(1)}${d.halfWidth === null ? '' : ` ± ${(d.halfWidth * 100).toFixed(1)}`} points`;
    said.push(
      d.halfWidth === null
        ? `${q(name)} vs ${q(baseline)} on sparsity: ${diff} with one seed; an interval needs ≥ 2 seeds.`
        : d.supported
          ? `${q(name)}'s kernels are ${d.mean > 0 ? 'sparser' : 'less sparse'} than ${q(baseline)}'s by ${diff} (95% CI): supported by the ${d.n} seeds.`
          : `${q(name)} and ${q(baseline)} are not distinguishable by sparsity with ${d.n} seeds: ${diff} (95% CI) includes 0.`,
    );
  }
  const columns = ['variant', 'what', ...ratios.map((r) => `|w| < ${r.toExponential(0)}·max`)];
  const rows = input.variants.map((v) => [
    v.name,
    v.label,
    ...byRatio.map((m) => {
      const x = m.get(v.name)!;
      return x.size === 0 ? '—' : percent(mean(x));
    }),
  ]);
  const html = tableSectionHtml(
    `Share of the dense kernels' weights whose magnitude is below a fraction of the largest in ` +
      `their kernel, at the best validation epoch, mean over seeds.`,
    { columns, rows },
    said,
  );
  return { id: 'sparsity', title: 'Weight sparsity', html, conclusions: said };
}
