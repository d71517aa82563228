/**
 * Issue 16's `mc-dropout-charlm` end to end in-process (quick preset, two seeds). The section's
 * deterministic numbers are recomputed here from each run's files by another path (the checkpoint
 * loaded, LmModel.forward from the zero state on the same windows, cross-entropy and accuracy
 * counted here), and its sentences are checked against its numbers (bits per character = NLL /
 * ln 2, means over the seeds, the best OOD score, the S the NLL settles at). The window builders
 * of the evaluation are checked on hand-made inputs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  reverseWindows,
  shuffleWindows,
  testWindows,
} from '../src/experiments/definitions/mc-charlm-evaluation.js';
import type { McDropoutNumbers } from '../src/experiments/definitions/mc-dropout-section.js';
import { OOD_SCORES } from '../src/experiments/definitions/mc-scores.js';
import { takeFirst } from '../src/datasets/lm-batching.js';
import { loadTrainedLm } from '../src/experiments/trained-model.js';
import { runQuickJob } from './experiment-job.js';

const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;

/** NLL (nats) and accuracy of the deterministic model on the test windows, from the run's files. */
async function deterministicScore(runDir: string): Promise<{ nll: number; accuracy: number; n: number }> {
  const lm = await loadTrainedLm(runDir);
  try {
    const T = lm.config.seqLen;
    const ids = takeFirst(lm.corpus.test, lm.config.evalTokens);
    const W = Math.floor(ids.length / (T + 1));
    let nll = 0;
    let correct = 0;
    for (let w = 0; w < W; w++) {
      const window = Array.from(ids.subarray(w * (T + 1), (w + 1) * (T + 1)));
      const logp = tf.tidy(() => {
        const x = tf.tensor2d([window.slice(0, T)], [1, T], 'int32'); // [1, T]
        const out = lm.task.model.forward(x, lm.task.model.zeroState(1), false); // logits [T, V]
        return tf.logSoftmax(out.logits).arraySync() as number[][]; // [T, V]
      });
      for (let t = 0; t < T; t++) {
        const row = logp[t]!;
        const target = window[t + 1]!;
        nll -= row[target]!;
        if (row.indexOf(Math.max(...row)) === target) correct++;
      }
    }
    return { nll: nll / (W * T), accuracy: correct / (W * T), n: W * T };
  } finally {
    lm.dispose();
  }
}

describe('regulab run mc-dropout-charlm --preset quick --seeds 2', () => {
  it("scores every run's best weights on the test windows, and says what its numbers are", async () => {
    const { dir, summary, html } = await runQuickJob('mc-dropout-charlm', 2);
    const numbers = JSON.parse(readFileSync(join(dir, 'mc-dropout-charlm.json'), 'utf8')) as McDropoutNumbers;
    expect(numbers.variants.map((v) => v.name)).toEqual(['gal', 'zaremba']);
    for (const v of numbers.variants) {
      expect(v.runs.map((x) => x.seed)).toEqual([1, 2]);
      for (const { seed, evaluation: e } of v.runs) {
        const own = await deterministicScore(join(dir, v.name, `seed-${seed}`));
        expect(e.n).toBe(own.n);
        expect(e.deterministic.nll).toBeCloseTo(own.nll, 4); // float32 softmax vs logSoftmax
        expect(e.deterministic.accuracy).toBeCloseTo(own.accuracy, 12);
        expect(e.bySamples.at(-1)!.nll).toBe(e.mc.nll);
        expect(Object.keys(e.ood)).toEqual(['shuffled', 'reversed']);
        for (const set of ['shuffled', 'reversed'])
          for (const k of OOD_SCORES) expect(e.ood[set]![k]).toBeGreaterThanOrEqual(0);
      }
      const avg = (f: (e: (typeof v.runs)[number]['evaluation']) => number) =>
        mean(v.runs.map((x) => f(x.evaluation)));
      const bpc = (nats: number) => (nats / Math.LN2).toFixed(3);
      const said = summary.conclusions.filter((c) => c.startsWith(`“${v.name}”: `));
      expect(said).toHaveLength(3);
      expect(said[0]).toContain(
        `bpc ${bpc(avg((e) => e.mc.nll))} vs ${bpc(avg((e) => e.deterministic.nll))}`,
      );
      for (const [set, words] of [
        ['shuffled', 'shuffled windows'],
        ['reversed', 'reversed windows'],
      ] as const) {
        const auc = OOD_SCORES.map((k) => avg((e) => e.ood[set]![k]));
        const best = OOD_SCORES[auc.indexOf(Math.max(...auc))];
        expect(said[1]).toMatch(new RegExp(`${words}: [^;]*\\(best: ${best}\\)`));
      }
      const curve = [0, 1, 2, 3, 4, 5].map((i) => avg((e) => e.bySamples[i]!.nll));
      const enough = [1, 2, 4, 8, 16, 32][
        curve.findIndex((x) => Math.abs(x - curve[5]!) <= 0.01 * curve[5]!)
      ];
      expect(said[2]).toContain(`bpc is ${bpc(curve[0]!)} with S = 1`);
      expect(said[2]).toContain(`within 1% of the latter from S = ${enough}.`);
    }
    expect(html).toContain('AUROC shuffled: mutual information');
  }, 180_000);
});

describe('the windows of the character-model MC evaluation', () => {
  it('cuts consecutive windows of T + 1 ids: the first T the input, the next T the targets', () => {
    const ids = Int32Array.from({ length: 11 }, (_, i) => i);
    const w = testWindows(ids, 4); // windows [0..4], [5..9]; id 10 dropped
    expect(w.count).toBe(2);
    expect([...w.inputs]).toEqual([0, 1, 2, 3, 5, 6, 7, 8]);
    expect([...w.targets]).toEqual([1, 2, 3, 4, 6, 7, 8, 9]);
    expect(() => testWindows(ids, 5)).toThrow(/11 tokens, too few for 2 windows of 6/);
  });

  it('shuffles each window within itself (seeded) and reverses each window', () => {
    const x = Int32Array.from({ length: 40 }, (_, i) => i); // 2 windows of 20
    const s = shuffleWindows(x, 20, 3);
    expect(s).toEqual(shuffleWindows(x, 20, 3));
    expect(s).not.toEqual(shuffleWindows(x, 20, 4));
    expect([...s.subarray(0, 20)].sort((a, b) => a - b)).toEqual([...x.subarray(0, 20)]);
    expect([...s.subarray(20)].sort((a, b) => a - b)).toEqual([...x.subarray(20)]);
    expect(s).not.toEqual(x);
    expect([...reverseWindows(Int32Array.from([1, 2, 3, 4, 5, 6]), 3)]).toEqual([3, 2, 1, 6, 5, 4]);
  });
});
