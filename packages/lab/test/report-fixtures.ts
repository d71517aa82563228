/**
 * Synthetic run directories for the report tests, shaped like the main job's runs. The curves are
 * made up (closed-form, documented below) so that the expected conclusions can be derived by hand:
 *
 * - "unregularized": valid BPC falls to its minimum 1.60 at epoch 8 then rises 0.02 per epoch
 *   (1.84 at epoch 20) while train keeps falling: it overfits.
 * - "zoneout": valid falls more slowly and is still falling at epoch 20 (1.502 there, the best of all).
 * - "variational": valid reaches 1.55 at epoch 14 and stays within 0.5% of it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface FixtureRun {
  name: string;
  config: Record<string, unknown>;
  train: (e: number) => number;
  valid: (e: number) => number;
  test?: number;
  epochs: number;
  secondsPerEpoch: number;
}

export const FIXTURE_RUNS: FixtureRun[] = [
  {
    name: 'unregularized',
    config: { experiment: 'charlm', hidden: 256, dropout: 0, zoneoutCell: 0, zoneoutHidden: 0, seed: 1 },
    train: (e) => 1.2 + 1.6 / (1 + 0.25 * e * e) - 0.01 * e,
    valid: (e) => (e <= 8 ? 1.6 + 0.02 * (8 - e) ** 1.5 : 1.6 + 0.02 * (e - 8)),
    test: 1.58,
    epochs: 20,
    secondsPerEpoch: 10,
  },
  {
    name: 'zoneout',
    config: { experiment: 'charlm', hidden: 256, dropout: 0, zoneoutCell: 0.5, zoneoutHidden: 0.05, seed: 1 },
    train: (e) => 1.45 + 1.4 / (1 + 0.08 * e * e),
    valid: (e) => 1.45 + 1.3 / (1 + 0.06 * e * e),
    test: 1.47,
    epochs: 20,
    secondsPerEpoch: 12.5,
  },
  {
    name: 'variational',
    config: { experiment: 'charlm', hidden: 256, dropout: 0.25, zoneoutCell: 0, zoneoutHidden: 0, seed: 1 },
    train: (e) => 1.4 + 1.5 / (1 + 0.15 * e * e),
    valid: (e) => (e <= 14 ? 1.55 + 0.002 * (14 - e) ** 2 : 1.55 + 0.0005 * (e - 14)),
    test: 1.52,
    epochs: 20,
    secondsPerEpoch: 11,
  },
];

/** Writes `run` as the trainer does: config.json and metrics.jsonl (train and valid per epoch, test last). */
export function writeFixtureRun(parent: string, run: FixtureRun): string {
  const dir = join(parent, run.name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({ name: run.name, out: dir, ...run.config }, null, 2),
  );
  const lines: string[] = [];
  const round = (v: number) => Math.round(v * 1e4) / 1e4;
  for (let e = 1; e <= run.epochs; e++) {
    const t = round(run.train(e));
    const v = round(run.valid(e));
    lines.push(
      JSON.stringify({
        epoch: e,
        split: 'train',
        loss: round(t * Math.LN2),
        bpc: t,
        seconds: run.secondsPerEpoch,
      }),
    );
    lines.push(JSON.stringify({ epoch: e, split: 'valid', loss: round(v * Math.LN2), bpc: v, seconds: 1 }));
  }
  if (run.test !== undefined)
    lines.push(
      JSON.stringify({
        epoch: run.epochs,
        split: 'test',
        loss: round(run.test * Math.LN2),
        bpc: run.test,
        seconds: 1,
      }),
    );
  writeFileSync(join(dir, 'metrics.jsonl'), lines.join('\n') + '\n');
  return dir;
}
