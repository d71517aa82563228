/**
 * `regulab resume` of a finished experiment job only writes its report again: it trains nothing,
 * leaves every run's files as they were, says the job was already complete, and does not redo the
 * report's Monte Carlo evaluation of each run (which, on the default preset, took as long as the
 * first time and showed nothing) — unless a run's weights changed, and then its evaluation
 * advances the progress bar.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../src/errors.js';
import { findDefinition } from '../src/experiments/definitions/index.js';
import type { McDropoutNumbers } from '../src/experiments/definitions/mc-dropout-section.js';
import { MC_SAMPLES } from '../src/experiments/definitions/mc-dropout.js';
import { scoringPasses } from '../src/experiments/definitions/mc-scores.js';
import { cli } from './cli-in-process.js';
import { type FinishedJob, runQuickJob } from './experiment-job.js';

/** A value no evaluation of a quick run gives (its NLL is near ln 10 ≈ 2.30). */
const MARKER = 9.875;

let job: FinishedJob;
const runDirs = () => job.input.variants.flatMap((v) => v.runs.map((r) => r.dir));
const runFiles = (dir: string) =>
  ['config.json', 'metrics.jsonl', 'summary.json', join('checkpoints', 'last.ckpt')].map((f) =>
    readFileSync(join(dir, f)),
  );
const numbersFile = () => join(job.dir, 'mc-dropout.json');
const readNumbers = () => JSON.parse(readFileSync(numbersFile(), 'utf8')) as McDropoutNumbers;

beforeAll(async () => {
  job = await runQuickJob('mc-dropout', 2, '--epochs', '1');
}, 120_000);

describe('regulab resume <finished mc-dropout job>', () => {
  it('rewrites the report from the kept evaluations and changes no run file', async () => {
    const before = runDirs().map(runFiles);
    // Marks the kept MC NLL of the mlp run: a reused evaluation carries the mark into the report.
    const numbers = readNumbers();
    numbers.variants[0]!.runs[0]!.evaluation.mc.nll = MARKER;
    writeFileSync(numbersFile(), JSON.stringify(numbers));

    const r = await cli('resume', job.dir);
    expect(r.code, r.err).toBe(ExitCode.ok);
    expect(r.lines[0]).toBe('4 runs (mlp, cnn × seeds 1, 2): already complete; writing the report again');
    expect(r.lines.some((l) => l.startsWith('['))).toBe(false); // no run's epoch lines: nothing trained
    expect(runDirs().map(runFiles)).toEqual(before);
    const mlpRuns = readNumbers().variants[0]!.runs;
    expect(mlpRuns[0]!.evaluation.mc.nll).toBe(MARKER);
    const meanNll = (MARKER + mlpRuns[1]!.evaluation.mc.nll) / 2; // the conclusions' mean over seeds
    const summary = JSON.parse(readFileSync(join(job.dir, 'summary.json'), 'utf8')) as {
      conclusions: string[];
    };
    expect(summary.conclusions.find((c) => c.startsWith('“mlp”: the MC mean'))).toContain(
      `NLL ${meanNll.toFixed(3)} vs`,
    );
  }, 60_000);

  it('evaluates again only a run whose weights changed, on the progress bar', async () => {
    const numbers = readNumbers();
    numbers.variants[0]!.runs[0]!.evaluation.mc.nll = MARKER;
    numbers.variants[1]!.runs[0]!.evaluation.mc.nll = MARKER;
    writeFileSync(numbersFile(), JSON.stringify(numbers));
    // The same mlp config, written differently: its digest changes, so its evaluation is redone.
    const mlpConfig = join(job.input.variants[0]!.runs[0]!.dir, 'config.json');
    writeFileSync(mlpConfig, JSON.stringify(JSON.parse(readFileSync(mlpConfig, 'utf8'))));

    const calls: string[] = [];
    let last = 0;
    const progress = {
      start: (total: number, label: string) => calls.push(`start ${total} ${label}`),
      update: (done: number) => {
        expect(done).toBeGreaterThan(last);
        last = done;
      },
      stop: () => calls.push(`stop at ${last}`),
    };
    await findDefinition('mc-dropout')!.report.section!({ ...job.input, progress });

    const passes = scoringPasses({ samples: MC_SAMPLES, bins: 10, seed: 1 }, 2);
    expect(passes).toBe(3 * 33 + 1 + 2 + 4 + 8 + 16); // 3 sets × (deterministic + 32 samples) + the curve
    expect(calls).toEqual([`start ${passes} MC evaluation of 1 run(s)`, `stop at ${passes}`]);
    const [mlp, cnn] = readNumbers().variants;
    expect(mlp!.runs[0]!.evaluation.mc.nll).not.toBe(MARKER); // evaluated again
    expect(mlp!.runs[0]!.evaluation.mc.nll).toBe(mlp!.runs[0]!.evaluation.bySamples.at(-1)!.nll);
    expect(cnn!.runs[0]!.evaluation.mc.nll).toBe(MARKER); // kept
  }, 60_000);
});
