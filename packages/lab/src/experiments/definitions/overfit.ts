/**
 * Whether a variant's training slice was small enough to overfit: its training accuracy against
 * its validation accuracy after its last epoch, mean over seeds — the sentence issue 14 asks
 * every report to say.
 */
import { readRun } from '../../report/index.js';
import { mean } from '../../stats/index.js';
import type { ReportSectionInput } from '../definition.js';

const percent = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The sentence for variant `name` ("…"), or null when its runs have no accuracy rows. */
export function overfitSentence(input: ReportSectionInput, name: string): string | null {
  const variant = input.variants.find((v) => v.name === name);
  const last = (variant?.runs ?? []).flatMap((r) => {
    const rows = readRun(r.dir).rows;
    const epoch = Math.max(...rows.map((row) => row.epoch));
    const at = (split: string) => rows.find((row) => row.epoch === epoch && row.split === split)?.accuracy;
    const [train, valid] = [at('train'), at('valid')];
    return train == null || valid == null ? [] : [{ epoch, train, valid }];
  });
  if (last.length === 0) return null;
  const train = mean(last.map((l) => l.train));
  const valid = mean(last.map((l) => l.valid));
  const gap = train - valid;
  return (
    `Training slice: after its last epoch (${[...new Set(last.map((l) => l.epoch))].join(', ')}) “${name}” ` +
    `fits its training images to ${percent(train)} accuracy against ${percent(valid)} on validation ` +
    `(mean over ${last.length} seed${last.length === 1 ? '' : 's'}): ` +
    (train >= 0.95 && gap > 0.05
      ? `a gap of ${(gap * 100).toFixed(1)} points — the slice is small enough to overfit.`
      : `a gap of ${(gap * 100).toFixed(1)} points — it has not overfit the slice yet (too few epochs or too much regularization).`)
  );
}
