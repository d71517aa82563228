/**
 * Which variant wins, and can the seeds tell it from each of the others? The variant with the
 * best mean test accuracy (at each run's best validation epoch) against every other, paired over
 * the seeds — the comparison the seed statistics do not make (they compare with the baseline).
 */
import type { ReportSectionInput } from '../definition.js';
import { pp, percent } from './curves-section.js';
import { difference, pairSentence } from './paired-sentences.js';
import { accuracyBySeed } from './seed-values.js';

export function bestVersusRest(input: ReportSectionInput): string[] {
  const test = accuracyBySeed(input, 'test');
  const mean = (name: string) => {
    const v = [...test.get(name)!.values()];
    return v.reduce((a, b) => a + b, 0) / v.length;
  };
  const measured = input.variants.map((v) => v.name).filter((n) => test.get(n)!.size > 0);
  if (measured.length < 2) return [];
  const best = measured.reduce((a, b) => (mean(b) > mean(a) ? b : a));
  const rivals = measured.filter((n) => n !== best);
  const said = rivals.flatMap((r) => {
    const d = difference(test, best, r);
    return d ? [{ r, d, s: pairSentence(best, r, d, { name: 'test accuracy', format: pp }) }] : [];
  });
  const tied = said.filter((x) => !x.d.supported).map((x) => `“${x.r}”`);
  return [
    `Best mean test accuracy: “${best}”, ${percent(mean(best))}; ` +
      (tied.length === 0
        ? 'the seeds separate it from every other variant.'
        : `the seeds cannot separate it from ${tied.join(', ')}.`),
    ...said.map((x) => x.s),
  ];
}
