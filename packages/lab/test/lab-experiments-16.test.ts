/**
 * Issue 16's experiments end to end in-process (quick preset, two seeds). `mc-dropout`: the
 * section's numbers are checked against the runs (the deterministic accuracy it recomputes from
 * each best checkpoint is the run's own test accuracy) and its sentences against its numbers
 * (means over the seeds, the best OOD score, the S the NLL settles at). `concrete-dropout`: its
 * sentences against the runs' probes.jsonl (the learned rate at the kept epoch) and summaries
 * (the grid rate with the best validation accuracy). Both write their figures. The image
 * transforms of the MC evaluation are checked on hand-made inputs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { McDropoutNumbers } from '../src/experiments/definitions/mc-dropout-section.js';
import { noiseImages, OOD_SETS, rotate90 } from '../src/experiments/definitions/mc-evaluation.js';
import { OOD_SCORES, rowEntropy } from '../src/experiments/definitions/mc-scores.js';
import type { MnistConfig } from '../src/experiments/config.js';
import { findDefinition } from '../src/experiments/definitions/index.js';
import { resolveExperiment } from '../src/experiments/experiment-config.js';
import { readProbes } from '../src/store/probes-log.js';
import { runQuickJob } from './experiment-job.js';

const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;

describe('regulab run mc-dropout --preset quick --seeds 2', () => {
  it("scores every run's best weights, and says what its numbers are", async () => {
    const { dir, summary } = await runQuickJob('mc-dropout', 2, '--epochs', '1');
    const conclusions = summary.conclusions;
    const numbers = JSON.parse(readFileSync(join(dir, 'mc-dropout.json'), 'utf8')) as McDropoutNumbers;
    expect(numbers.variants.map((v) => v.name)).toEqual(['mlp', 'cnn']);
    for (const v of numbers.variants) {
      expect(v.runs.map((x) => x.seed)).toEqual([1, 2]);
      for (const { seed, evaluation: e } of v.runs) {
        // The same weights on the same images as the trainer's test score.
        const summary = JSON.parse(readFileSync(join(dir, v.name, `seed-${seed}`, 'summary.json'), 'utf8'));
        expect(e.deterministic.accuracy).toBeCloseTo(summary.test, 12);
        expect(e.bySamples.map((p) => p.samples)).toEqual([1, 2, 4, 8, 16, 32]);
        expect(e.bySamples.at(-1)!.nll).toBe(e.mc.nll); // the curve's last point is the MC mean
        expect(e.deterministic.bins.reduce((a, b) => a + b.count, 0)).toBe(e.n);
        const aucs = OOD_SETS.flatMap((set) => OOD_SCORES.map((k) => e.ood[set]![k]));
        expect(aucs.every((a) => a >= 0 && a <= 1)).toBe(true);
      }
      const avg = (f: (e: (typeof v.runs)[number]['evaluation']) => number) =>
        mean(v.runs.map((x) => f(x.evaluation)));
      const said = conclusions.filter((c) => c.startsWith(`“${v.name}”: `));
      expect(said).toHaveLength(3);
      expect(said[0]).toContain(
        `NLL ${avg((e) => e.mc.nll).toFixed(3)} vs ${avg((e) => e.deterministic.nll).toFixed(3)}`,
      );
      expect(said[0]).toContain(
        `ECE ${avg((e) => e.mc.ece).toFixed(3)} vs ${avg((e) => e.deterministic.ece).toFixed(3)}`,
      );
      for (const set of OOD_SETS) {
        const auc = OOD_SCORES.map((k) => avg((e) => e.ood[set]![k]));
        for (const [i, k] of OOD_SCORES.entries()) expect(said[1]).toContain(`${k} ${auc[i]!.toFixed(3)}`);
        const best = OOD_SCORES[auc.indexOf(Math.max(...auc))];
        const words = set === 'rotated' ? 'digits rotated 90°' : 'uniform noise';
        expect(said[1]).toMatch(new RegExp(`${words}: [^;]*\\(best: ${best}\\)`));
      }
      const curve = [0, 1, 2, 3, 4, 5].map((i) => avg((e) => e.bySamples[i]!.nll));
      const enough = [1, 2, 4, 8, 16, 32][
        curve.findIndex((x) => Math.abs(x - curve[5]!) <= 0.01 * curve[5]!)
      ];
      expect(said[2]).toContain(`within 1% of the latter from S = ${enough}.`);
    }
    for (const f of ['mc-reliability', 'mc-nll-by-samples'])
      for (const ext of ['svg', 'png']) expect(existsSync(join(dir, 'plots', `${f}.${ext}`))).toBe(true);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('Reliability diagram');
  }, 180_000);
});

describe('the images and scores of the MC evaluation', () => {
  it('rotate90 turns each image clockwise: the pixel at row 0, column 5 goes to row 5, column 27', () => {
    const x = new Float32Array(2 * 784);
    x[5] = 1; // image 0, (0, 5)
    x[784 + 27 * 28] = 2; // image 1, (27, 0) → (0, 0)
    const out = rotate90({ x, y: new Int32Array(2), count: 2 });
    expect([...out.keys()].filter((i) => out[i] !== 0)).toEqual([5 * 28 + 27, 784]);
    expect(out[784]).toBe(2);
  });

  it('rowEntropy is −Σ p ln p per row (0 ln 0 = 0); noise images are seeded and in [0, 1)', () => {
    const h = rowEntropy([0.5, 0.5, 1, 0, 0.25, 0.75], 2);
    expect(h[0]).toBeCloseTo(Math.log(2), 6);
    expect(h[1]).toBe(0);
    expect(h[2]).toBeCloseTo(-(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75)), 6);
    const a = noiseImages(3, 7);
    expect(a).toEqual(noiseImages(3, 7));
    expect(a).not.toEqual(noiseImages(3, 8));
    expect(Math.min(...a)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a)).toBeLessThan(1);
  });
});

describe('regulab run concrete-dropout --preset quick --seeds 2', () => {
  it('reports the learned rates of probes.jsonl and the grid rate with the best validation accuracy', async () => {
    const { dir, summary: job } = await runQuickJob('concrete-dropout', 2, '--epochs', '2');
    const conclusions = job.conclusions;
    const run = (variant: string, seed: number) => join(dir, variant, `seed-${seed}`);
    const summary = (variant: string, seed: number) =>
      JSON.parse(readFileSync(join(run(variant, seed), 'summary.json'), 'utf8'));
    const layers = ['concrete_1', 'concrete_softmax'];
    const learned: Record<number, Record<string, number>> = {};
    for (const n of [250, 1000]) {
      // Each concrete layer's rate after the last epoch and at the epoch whose weights the run
      // kept, mean over seeds, from the probe's epoch rows.
      const rows = [1, 2].map((seed) =>
        readProbes(join(run(`concrete-n${n}`, seed), 'probes.jsonl')).filter((row) => row.at === 'epoch'),
      );
      const last = rows.map((r) => r.at(-1)!.values);
      const kept = [1, 2].map(
        (seed, i) => rows[i]!.find((row) => row.epoch === summary(`concrete-n${n}`, seed).bestEpoch)!.values,
      );
      const avg = (vs: Record<string, number>[], l: string) => mean(vs.map((v) => v[l]!));
      learned[n] = Object.fromEntries(layers.map((l) => [l, avg(last, l)]));
      const steps = rows[0]!.at(-1)!.epoch * Math.ceil(n / 16); // quick preset: batches of 16
      const validOf = (rate: number) =>
        mean([1, 2].map((seed) => summary(`p${Math.round(rate * 100)}-n${n}`, seed).bestValid as number));
      const best = [0.1, 0.3, 0.5, 0.7].reduce((a, b) => (validOf(b) > validOf(a) ? b : a));
      const said = conclusions.find((c) => c.startsWith(`N = ${n}: `))!;
      expect(said).toContain(
        `learned rates after ${steps} steps (mean over 2 seeds): concrete_1 ${learned[n]!.concrete_1!.toFixed(3)}, concrete_softmax ${learned[n]!.concrete_softmax!.toFixed(3)} `,
      );
      expect(said).toContain(
        `at the kept epoch: concrete_1 ${avg(kept, 'concrete_1').toFixed(3)}, concrete_softmax ${avg(kept, 'concrete_softmax').toFixed(3)};`,
      );
      expect(said).toContain(`the grid's best fixed rate by validation accuracy: ${best}.`);
    }
    for (const layer of layers) {
      expect(conclusions.find((c) => c.startsWith(`${layer}: `))).toContain(
        `learned rate ${learned[250]![layer]!.toFixed(3)} with 250 images vs ${learned[1000]![layer]!.toFixed(3)} with 1000`,
      );
    }
    expect(existsSync(join(dir, 'plots', 'concrete-rates.png'))).toBe(true);
  }, 420_000);

  it('trains the concrete runs a fixed number of steps at the default preset only, with the rate scaled', () => {
    const def = findDefinition('concrete-dropout')!;
    const job = resolveExperiment(def, 'default', {});
    const config = (name: string) => job.variants.find((v) => v.name === name)!.config as MnistConfig;
    // 2,000 steps of batches of 16: 125 epochs of 250 images (16 steps), 32 of 1000 (63 steps).
    expect([config('concrete-n250').epochs, config('concrete-n1000').epochs]).toEqual([125, 32]);
    expect([config('concrete-n250').patience, config('p30-n250').patience]).toEqual([0, 8]);
    expect(config('p30-n1000').epochs).toBe(30);
    expect(JSON.stringify(config('concrete-n250').spec)).toContain('"rateScale":10');
    // --epochs is the variants' own at the default preset, free in the quick one.
    expect(() => resolveExperiment(def, 'default', { epochs: 3 })).toThrow(/sets --epochs itself/);
    const quick = resolveExperiment(def, 'quick', { epochs: 3 });
    expect(quick.variants.every((v) => (v.config as MnistConfig).epochs === 3)).toBe(true);
  });
});
