/**
 * Probes (`--probe`, src/train/probe.ts): measurements the trainer takes while a run trains,
 * written to probes.jsonl. Checked here on the one built-in probe that needs no experiment
 * (dropout-rates, the learned rate of concrete dropout): when rows are taken, that a probe does
 * not change training, that a killed run's probes.jsonl after resuming equals an uninterrupted
 * run's, that the log's damaged lines are handled like metrics.jsonl's, and clear errors.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readProbes, type ProbeRecord } from '../src/store/probes-log.js';
import { metrics, start, untilEpoch } from './cli-child.js';
import { cli } from './cli-in-process.js';

/** An MLP whose hidden layer's input is dropped at a learned rate (initial 0.1). */
const SPEC = {
  layers: [
    { className: 'Dense', config: { units: 16, activation: 'relu' } },
    {
      className: 'RegulabConcreteDropoutDense',
      config: { units: 16, activation: 'relu', datasetSize: 64, initialRate: 0.1 },
    },
    { className: 'Dense', config: { units: '$classes' } },
  ],
};

function setup() {
  const root = mkdtempSync(join(tmpdir(), 'regulab-probes-'));
  const spec = join(root, 'spec.json');
  writeFileSync(spec, JSON.stringify(SPEC));
  const args = ['run', 'mnist', '--preset', 'quick', '--model', spec, '--lr', '0.05', '--seed', '3'];
  return { root, args };
}

const probes = (dir: string): ProbeRecord[] => readProbes(join(dir, 'probes.jsonl'));

describe('--probe dropout-rates', () => {
  it('logs the learned rate at the start and after each epoch, without changing training', async () => {
    const { root, args } = setup();
    const [a, b] = [join(root, 'a'), join(root, 'b')];
    const withProbe = await cli(...args, '--epochs', '3', '--probe', 'dropout-rates', '--out', a);
    expect(withProbe.code, withProbe.err).toBe(0);
    const rows = probes(a);
    expect(rows.map((r) => [r.at, r.epoch])).toEqual([
      ['start', 0],
      ['epoch', 1],
      ['epoch', 2],
      ['epoch', 3],
    ]);
    const rates = rows.map((r) => r.values.concrete_dropout_dense_1!);
    // sigmoid(logit(0.1)) in float32: 0.1 to 1e-6.
    expect(rates[0]).toBeCloseTo(0.1, 6);
    for (const p of rates) {
      expect(p).toBeGreaterThan(0);
      expect(p).toBeLessThan(1);
    }
    // The rate is trained: it moves (by more than float32 noise) over 3 epochs at lr 0.05.
    expect(Math.abs(rates[3]! - rates[0]!)).toBeGreaterThan(1e-4);
    expect(rows.every((r) => r.batch === (r.at === 'start' ? 0 : 4))).toBe(true); // 64 images / batch 16
    // Each epoch's line says the rate measured after it.
    for (const epoch of [1, 2, 3]) {
      const line = withProbe.lines.find((l) => l.startsWith(`epoch ${String(epoch).padStart(3)} `));
      expect(line).toContain(`  dropout-rates: concrete_dropout_dense_1 ${rates[epoch]!.toPrecision(3)}`);
    }

    const without = await cli(...args, '--epochs', '3', '--out', b);
    expect(without.code, without.err).toBe(0);
    expect(metrics(b)).toEqual(metrics(a)); // reading a rate changes nothing
    expect(probes(b)).toEqual([]); // no probe, no file
    expect(JSON.parse(readFileSync(join(a, 'config.json'), 'utf8')).probe).toEqual(['dropout-rates']);
  }, 60_000);

  it('resumes after SIGKILL to exactly the rows of an uninterrupted run', async () => {
    const { root, args } = setup();
    const [a, b] = [join(root, 'a'), join(root, 'b')];
    const run = [...args, '--epochs', '4', '--probe', 'dropout-rates', '--json'];
    const whole = await start([...run, '--out', a]).done;
    expect(whole.code, whole.stderr).toBe(0);
    const killed = start([...run, '--out', b]);
    await untilEpoch(b, 2);
    killed.child.kill('SIGKILL');
    await killed.done;
    const resumed = await start(['resume', b, '--json']).done;
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(probes(b)).toEqual(probes(a));
    expect(probes(a)).toHaveLength(5);
  }, 120_000);

  it('refuses a model without a concrete-dropout layer and an unknown probe, in one line', async () => {
    const none = await cli(
      'run',
      'mnist',
      '--preset',
      'quick',
      '--probe',
      'dropout-rates',
      '--out',
      join(setup().root, 'x'),
    );
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/--probe dropout-rates: the model has no concrete-dropout layer/);
    expect(none.errLines).toHaveLength(1);
    const unknown = await cli('run', 'mnist', '--preset', 'quick', '--probe', 'nonsense');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/--probe.*dropout-rates/);
  });
});

describe('probes.jsonl', () => {
  const row: ProbeRecord = { probe: 'p', at: 'epoch', epoch: 1, batch: 4, values: { x: 1 } };

  it('drops a torn last line with a note and names a bad line before it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'regulab-probes-log-'));
    const file = join(dir, 'probes.jsonl');
    writeFileSync(file, JSON.stringify(row) + '\n{"probe": "p", "at": "ep');
    const notes: string[] = [];
    expect(readProbes(file, (n) => notes.push(n))).toEqual([row]);
    expect(notes[0]).toMatch(/dropped a torn last line/);
    writeFileSync(file, '{"probe": 1}\n' + JSON.stringify(row) + '\n');
    expect(() => readProbes(file)).toThrow(/line 1 is not a probe row/);
  });
});
