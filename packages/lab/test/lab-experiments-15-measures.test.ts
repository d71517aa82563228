/**
 * Issue 15's per-step experiments, `variance-over-time` and `gradient-flow-{pmnist,charlm}`, on
 * their probes (`state-variance`, `state-gradients`): each quick job runs end to end in-process
 * (one epoch, two seeds), draws its figures, and the numbers its conclusions print agree with the
 * ones recomputed here straight from the runs' probes.jsonl, with the verdict each sentence draws
 * from its interval. The probes measure every step of both states in both modes and leave
 * training unchanged (metrics.jsonl identical with and without them); the last-step loss and the
 * helpers are checked on values worked out by hand.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { findDefinition } from '../src/experiments/definitions/index.js';
import {
  flowVerdict,
  gradientFlowSection,
  reachOf,
} from '../src/experiments/definitions/gradient-flow-section.js';
import {
  stepReaching,
  varianceOverTimeSection,
} from '../src/experiments/definitions/variance-over-time-section.js';
import { perStep, stateKey, stateLayers } from '../src/probes/lstm-state-keys.js';
import { lastStepLoss } from '../src/probes/state-gradients.js';
import { readProbes } from '../src/store/probes-log.js';
import { cli } from './cli-in-process.js';
import { runQuickJob } from './experiment-job.js';

const SEEDS = [1, 2];

/** The rows of `probe` of each seed of `variant`. */
const rowsOf = (dir: string, variant: string, probe: string) =>
  SEEDS.map((s) =>
    readProbes(join(dir, variant, `seed-${s}`, 'probes.jsonl')).filter((r) => r.probe === probe),
  );
const lastEpoch = (rows: ReturnType<typeof readProbes>) =>
  rows.filter((r) => r.at === 'epoch').at(-1)!.values;
const geometricMean = (v: number[]) => Math.exp(v.reduce((a, x) => a + Math.log(x), 0) / v.length);
/** "×2.45 (95% CI ×2.09–×2.87)" after `after` → [2.45, 2.09, 2.87]. */
const ratioAfter = (s: string, after: string): number[] => {
  const m = new RegExp(`${after}[^×]*×([\\d.]+) \\(95% CI ×([\\d.]+)–×([\\d.]+)\\)`).exec(s);
  expect(m, `${after} in: ${s}`).not.toBeNull();
  return m!.slice(1).map(Number);
};
/** A printed ratio (3 significant figures, or 2 decimals) against the value it stands for. */
const agrees = (printed: number, value: number) =>
  expect(Math.abs(printed / value - 1), `${printed} vs ${value}`).toBeLessThan(0.01);

describe('regulab run variance-over-time --preset quick --seeds 2', () => {
  it('measures every step of h and c in both modes; its conclusions are the probe’s numbers', async () => {
    const { dir, summary, html } = await runQuickJob('variance-over-time', 2, '--epochs', '1');
    expect(summary.runs).toHaveLength(findDefinition('variance-over-time')!.variants.length * 2);
    expect(html).toContain('Variance of h_t and c_t within a sequence and over training');
    for (const id of [
      'variance-over-time-h',
      'variance-over-time-c',
      'variance-over-training-h',
      'variance-over-training-c',
    ])
      expect(existsSync(join(dir, 'plots', `${id}.png`)), id).toBe(true);
    // Rows: the start, batches 1, 2, 4, … of epoch 1, the epoch; each with 16 steps (the quick
    // preset's windows) of h and c in both modes of the one LSTM layer.
    const none = rowsOf(dir, 'none', 'state-variance')[0]!;
    expect(none[0]!.at).toBe('start');
    expect(none.some((r) => r.at === 'batch')).toBe(true);
    expect(none.at(-1)!.at).toBe('epoch');
    const values = none.at(-1)!.values;
    expect(stateLayers(values)).toEqual(['lstm_0']);
    for (const mode of ['train', 'inference'] as const)
      for (const state of ['h', 'c'] as const)
        expect(perStep(values, 'lstm_0', mode, state)).toHaveLength(16);
    // Without noise, training mode is inference exactly.
    expect(perStep(values, 'lstm_0', 'train', 'h')).toEqual(perStep(values, 'lstm_0', 'inference', 'h'));

    const conclusions = summary.conclusions;
    for (const state of ['h', 'c'] as const) {
      const within = conclusions.find((c) =>
        c.startsWith(`Within a sequence, at inference after the last epoch: Var(${state}_t)`),
      )!;
      expect(within).toBeDefined();
      for (const v of ['none', 'gal', 'zoneout']) {
        const growth = rowsOf(dir, v, 'state-variance').map((rows) => {
          const curve = perStep(lastEpoch(rows), 'lstm_0', 'inference', state);
          return curve.at(-1)! / curve[0]!;
        });
        const [printed] = ratioAfter(within.slice(within.indexOf(`in “${v}”`) - 60), '');
        agrees(printed!, geometricMean(growth));
      }
      // Gal's masks in training mode against inference, at the last step.
      const gal = conclusions.find(
        (c) => c.startsWith('“gal”: training mode') && c.includes(`Var(${state}_T)`),
      )!;
      const ratios = rowsOf(dir, 'gal', 'state-variance').map((rows) => {
        const x = lastEpoch(rows);
        return (
          perStep(x, 'lstm_0', 'train', state).at(-1)! / perStep(x, 'lstm_0', 'inference', state).at(-1)!
        );
      });
      const [ratio, low, high] = ratioAfter(gal, `Var\\(${state}_T\\)`);
      agrees(ratio!, geometricMean(ratios));
      expect(gal).toContain(low! > 1 ? 'raises' : high! < 1 ? 'lowers' : 'cannot separate');
      // No sentence about the masks of “none”, which has none.
      expect(conclusions.some((c) => c.startsWith('“none”: training mode'))).toBe(false);
    }
  }, 400_000); // a minute alone; minutes on a loaded machine
});

describe('regulab run gradient-flow-pmnist --preset quick --seeds 2', () => {
  it('draws the log-scale figures; each reach and folklore verdict is recomputed from the probe', async () => {
    const { dir, summary, html } = await runQuickJob('gradient-flow-pmnist', 2, '--epochs', '1');
    expect(summary.runs).toHaveLength(5 * 2);
    expect(html).toContain('Gradient flow to earlier steps (pmnist)');
    for (const id of ['gradient-flow-h', 'gradient-flow-c', 'gradient-reach-over-training'])
      expect(existsSync(join(dir, 'plots', `${id}.png`)), id).toBe(true);
    const reach = (v: string, state: 'h' | 'c') =>
      rowsOf(dir, v, 'state-gradients').map((rows) =>
        reachOf(perStep(lastEpoch(rows), 'lstm_0', 'train', state)),
      );
    const values = lastEpoch(rowsOf(dir, 'none', 'state-gradients')[0]!);
    expect(perStep(values, 'lstm_0', 'train', 'h')).toHaveLength(28); // the quick preset: 28 pixels per step
    // c_T feeds no later step: its gradient is 0, and the reach of c is taken to c_{T−1}'s.
    expect(perStep(values, 'lstm_0', 'train', 'c').at(-1)).toBe(0);
    const conclusions = summary.conclusions;
    for (const state of ['h', 'c'] as const) {
      for (const v of ['dropout-15', 'dropout-50', 'zoneout-15', 'zoneout-50']) {
        const said = conclusions.find(
          (c) => c.startsWith(`“${v}”: in training mode`) && c.includes(`∂L/∂${state} reaching`),
        )!;
        const ratios = reach(v, state).map((r, i) => r / reach('none', state)[i]!);
        const [ratio, low, high] = ratioAfter(said, `∂L/∂${state} reaching step 1`);
        agrees(ratio!, geometricMean(ratios));
        expect(said).toContain(low! > 1 ? 'raises' : high! < 1 ? 'lowers' : 'cannot separate');
      }
      for (const [further, than] of [
        ['zoneout-15', 'none'],
        ['zoneout-50', 'dropout-50'],
      ]) {
        const said = conclusions.find(
          (c) =>
            c.startsWith('Folklore') &&
            c.includes(`∂L/∂${state} in training mode, “${further}” over “${than}”`),
        )!;
        const ratios = reach(further!, state).map((r, i) => r / reach(than!, state)[i]!);
        const [ratio, low, high] = ratioAfter(said, 'over');
        agrees(ratio!, geometricMean(ratios));
        expect(said).toContain(low! > 1 ? 'holds here' : high! < 1 ? 'wrong here' : 'not separable');
      }
    }
  }, 400_000);
});

describe('regulab run gradient-flow-charlm --preset quick --seeds 2', () => {
  it('measures the loss at the last character of the window, every variant concluded on', async () => {
    const { dir, summary } = await runQuickJob('gradient-flow-charlm', 2, '--epochs', '1');
    expect(summary.runs).toHaveLength(5 * 2);
    expect(existsSync(join(dir, 'plots', 'gradient-flow-h.png'))).toBe(true);
    const values = lastEpoch(rowsOf(dir, 'none', 'state-gradients')[0]!);
    const h = perStep(values, 'lstm_0', 'train', 'h');
    expect(h).toHaveLength(16);
    expect(Math.max(...h)).toBe(h.at(-1)); // the loss reads h_T directly
    for (const v of findDefinition('gradient-flow-charlm')!.variants)
      expect(summary.conclusions.some((c) => c.includes(`“${v.name}”`))).toBe(true);
  }, 400_000);
});

describe('the state probes', () => {
  /** One epoch of the quick character model, with dropout 0.2, and both state probes. */
  const charlm = ['run', 'charlm', '--preset', 'quick', '--epochs', '1', '--dropout', '0.2'];
  const probes = ['--probe', 'state-variance', '--probe', 'state-gradients'];

  it('leave training unchanged: metrics.jsonl is the same with and without them', async () => {
    const root = mkdtempSync(join(tmpdir(), 'regulab-state-probes-'));
    const args = [...charlm, '--zoneout-cell', '0.3'];
    const a = await cli(...args, ...probes, '--out', join(root, 'a'));
    const b = await cli(...args, '--out', join(root, 'b'));
    expect(a.code, a.err).toBe(0);
    expect(b.code, b.err).toBe(0);
    const metrics = (d: string) =>
      readFileSync(join(root, d, 'metrics.jsonl'), 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .map(({ loss, accuracy, split, epoch }) => ({ loss, accuracy, split, epoch }));
    expect(metrics('a')).toEqual(metrics('b'));
  }, 200_000);

  it('measure a GRU (--cell gru): h alone, and the sections and figures speak of h alone', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'regulab-gru-probes-')), 'run');
    const r = await cli(...charlm, '--cell', 'gru', ...probes, '--out', dir);
    expect(r.code, r.err).toBe(0);
    const rows = (probe: string) => readProbes(join(dir, 'probes.jsonl')).filter((x) => x.probe === probe);
    for (const probe of ['state-variance', 'state-gradients']) {
      const values = lastEpoch(rows(probe));
      expect(stateLayers(values), probe).toEqual(['gru_0']);
      for (const mode of ['train', 'inference'] as const) {
        expect(perStep(values, 'gru_0', mode, 'h'), `${probe} ${mode}`).toHaveLength(16);
        expect(perStep(values, 'gru_0', mode, 'c'), `${probe} ${mode}`).toEqual([]);
      }
    }
    // The loss reads h_T directly: its gradient is the largest there, as the LSTM's (charlm above).
    const h = perStep(lastEpoch(rows('state-gradients')), 'gru_0', 'train', 'h');
    expect(Math.max(...h)).toBe(h.at(-1));
    const input = {
      variants: [{ name: 'none', label: 'none', runs: [{ seed: 1, dir }] }],
      statistics: null,
      reportDir: dir,
    };
    const flow = gradientFlowSection(input, 'none', [], 'charlm');
    expect(flow.figures!.map((f) => f.id)).toEqual(['gradient-flow-h', 'gradient-reach-over-training']);
    expect(flow.conclusions!.some((c) => c.includes('∂L/∂h_1'))).toBe(true);
    expect(flow.conclusions!.some((c) => c.includes('∂L/∂c'))).toBe(false);
    const variance = varianceOverTimeSection(input, 'none');
    expect(variance.figures!.map((f) => f.id)).toEqual(['variance-over-time-h', 'variance-over-training-h']);
    expect(variance.conclusions!.some((c) => c.includes('Var(h_t)'))).toBe(true);
    expect(variance.conclusions!.some((c) => c.includes('Var(c_'))).toBe(false);
  }, 200_000);

  it('refuse a model without an LSTM or GRU layer, saying what to use', async () => {
    const r = await cli(
      'run',
      'mnist',
      '--preset',
      'quick',
      '--probe',
      'state-gradients',
      '--out',
      join(mkdtempSync(join(tmpdir(), 'regulab-sp-')), 'x'),
    );
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /--probe state-gradients measures the states of LSTM or GRU layers .* this model has none/,
    );
  });
});

describe('per-step helpers', () => {
  it('lastStepLoss: a language model’s last position only; a classifier’s logits as they are', () => {
    const before = tf.memory().numTensors;
    // [B = 2, T = 2, V = 2]: only t = 1 counts. Targets [B·T] = [x, 0, x, 1].
    const out = tf.tensor3d([
      [
        [5, -5],
        [0, 0],
      ],
      [
        [9, 9],
        [0, Math.log(3)],
      ],
    ]);
    const targets = tf.tensor1d([1, 0, 1, 1], 'int32');
    const loss = lastStepLoss(out, targets);
    // −(ln ½ + ln ¾)/2.
    expect(loss.dataSync()[0]).toBeCloseTo(-(Math.log(0.5) + Math.log(0.75)) / 2, 6);
    const logits = tf.tensor2d([[0, Math.log(3)]]);
    const labels = tf.tensor1d([0], 'int32');
    const cls = lastStepLoss(logits, labels);
    expect(cls.dataSync()[0]).toBeCloseTo(-Math.log(0.25), 6);
    tf.dispose([out, targets, loss, logits, labels, cls]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('keys, curves, reach, the step of 90% and the verdicts', () => {
    const values = { [stateKey('l', 'train', 'h', 0)]: 1, [stateKey('l', 'train', 'h', 1)]: 4, 'x/y': 3 };
    expect(perStep(values, 'l', 'train', 'h')).toEqual([1, 4]);
    expect(perStep(values, 'l', 'inference', 'h')).toEqual([]);
    expect(stateLayers(values)).toEqual(['l']);
    expect(reachOf([0.01, 0.1, 1, 0])).toBe(0.01); // c: the last step's norm is 0, T' = T − 1
    expect(reachOf([2, 1, 0.5])).toBe(4); // grows on the way back
    expect(reachOf([0, 0])).toBeNaN();
    expect(stepReaching([1, 5, 9.5, 10], 0.9)).toBe(3);
    expect(stepReaching([], 0.9)).toBeNull();
    const r = (ratio: number, low: number | null, high: number | null) => ({
      n: 3,
      ratio,
      low,
      high,
      supported: low !== null && (low > 1 || high! < 1),
    });
    expect(flowVerdict(r(3, 1.5, 6))).toBe('holds');
    expect(flowVerdict(r(0.3, 0.1, 0.6))).toBe('contradicted');
    expect(flowVerdict(r(1.2, 0.8, 1.8))).toBe('not separable');
    expect(flowVerdict(r(1.2, null, null))).toBe('one seed');
    expect(flowVerdict(null)).toBe('one seed');
  });
});
