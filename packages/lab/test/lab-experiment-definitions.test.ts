/**
 * Experiments as definitions: the registry, how a definition and the command line resolve into a
 * job's config.json, the seed layout, and what happens to directories written before --seeds.
 * The golden config is the one `regulab run compare --preset quick` wrote at commit 88b59f2 (before
 * compare became a definition): the definition must resolve to the same variant configs.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../src/experiments/config.js';
import type { ExperimentDefinition } from '../src/experiments/definition.js';
import { DEFINITIONS, findDefinition } from '../src/experiments/definitions/index.js';
import {
  isExperimentDir,
  jobRuns,
  jobSeeds,
  readExperimentJob,
  resolveExperiment,
} from '../src/experiments/experiment-config.js';

const fixture = (name: string) => join(import.meta.dirname, 'fixtures', name);
const OLD_CONFIG = JSON.parse(readFileSync(fixture('compare-quick-config-88b59f2.json'), 'utf8'));
const compare = findDefinition('compare')!;

function jobDir(config: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'regulab-job-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

describe('the registry', () => {
  it('lists compare, with unique names, and a baseline that is one of its variants', () => {
    expect(DEFINITIONS.map((d) => d.name)).toContain('compare');
    expect(new Set(DEFINITIONS.map((d) => d.name)).size).toBe(DEFINITIONS.length);
    for (const d of DEFINITIONS) {
      expect(d.variants.map((v) => v.name)).toContain(d.baseline);
      expect(new Set(d.variants.map((v) => v.name)).size).toBe(d.variants.length);
      for (const v of d.variants) expect(v.name).toMatch(/^[a-z0-9][a-z0-9-]*$/);
    }
    expect(findDefinition('charlm')).toBeUndefined();
  });
});

describe('resolveExperiment', () => {
  it('compare --preset quick resolves to the variant configs of commit 88b59f2, with no seeds field', () => {
    const job = resolveExperiment(compare, 'quick', {});
    // Configs now carry their model spec; an old config.json is read with the spec of its options.
    const old = OLD_CONFIG.variants.map((v: { config: unknown }) => ({
      ...v,
      config: validateConfig(v.config),
    }));
    expect(job.variants).toEqual(old);
    expect(job).toMatchObject({ experiment: 'compare', preset: 'quick' });
    expect('seeds' in job).toBe(false);
  });

  it('--seeds 3 gives seeds base, base + 1, base + 2 and one directory per variant and seed', () => {
    const job = resolveExperiment(compare, 'quick', { seed: 5 }, 3);
    expect(job.seeds).toEqual([5, 6, 7]);
    const runs = jobRuns(job, '/d');
    expect(runs).toHaveLength(15);
    expect(runs.slice(0, 3).map((r) => [r.dir, r.config.seed])).toEqual([
      ['/d/unregularized/seed-5', 5],
      ['/d/unregularized/seed-6', 6],
      ['/d/unregularized/seed-7', 7],
    ]);
    // Apart from the seed, a variant's runs share its config.
    expect(runs[4]!.config).toEqual({ ...job.variants[1]!.config, seed: 6 });
  });

  it('one seed keeps the layout of before --seeds: <dir>/<variant>/', () => {
    const job = resolveExperiment(compare, 'quick', {}, 1);
    expect(jobSeeds(job)).toEqual([1]);
    expect(jobRuns(job, '/d').map((r) => r.dir)).toEqual(compare.variants.map((v) => `/d/${v.name}`));
  });

  it('refuses an option the variants set, an unknown preset, bad seed counts and spec edits that match nothing', () => {
    expect(() => resolveExperiment(compare, 'quick', { weightDrop: 0.1 })).toThrow(
      /compare sets --weight-drop itself \(in its variants weight-drop\); run charlm to choose --weight-drop/,
    );
    expect(() => resolveExperiment(compare, 'huge', {})).toThrow(
      /unknown preset 'huge' for compare \(known: default, quick\)/,
    );
    expect(() => resolveExperiment(compare, 'quick', {}, 0)).toThrow(
      /--seeds: must be a positive integer, got 0/,
    );
    expect(() => resolveExperiment(compare, 'quick', { seed: 2 ** 31 - 2 }, 3)).toThrow(
      /--seeds 3 from --seed 2147483646 passes the largest seed/,
    );
    const withSpec = (set: string[]): ExperimentDefinition => ({
      ...compare,
      variants: [...compare.variants, { name: 'ln', label: 'layer norm', options: {}, spec: { set } }],
    });
    expect(() => resolveExperiment(withSpec(['nosuch*.normalization=layer']), 'quick', {})).toThrow(
      /nosuch\*/,
    );
  });

  it('applies a variant’s spec edits after the command line’s --set edits, to that variant only', () => {
    const def: ExperimentDefinition = {
      ...compare,
      variants: [
        compare.variants[0]!,
        { name: 'ln', label: 'layer norm', options: {}, spec: { set: ['lstm*.normalization=layer'] } },
      ],
    };
    const job = resolveExperiment(def, 'quick', {});
    const lstmOf = (i: number) =>
      job.variants[i]!.config.spec.layers.find((l) => /lstm/i.test(l.className))!.config as Record<
        string,
        unknown
      >;
    expect(lstmOf(1)['normalization']).toBe('layer');
    expect(lstmOf(0)['normalization'] ?? 'none').not.toBe('layer');
  });

  it('a definition with its own task options, variants and default seeds needs no other code', () => {
    const tiny: ExperimentDefinition = {
      name: 'tiny',
      description: 'two pmnist variants',
      task: 'pmnist',
      presets: { quick: { taskPreset: 'quick', options: { hidden: 4 } } },
      variants: [
        { name: 'plain', label: 'none', options: {} },
        { name: 'zoneout', label: 'zoneout 0.1', options: { zoneoutCell: 0.1, zoneoutHidden: 0.1 } },
      ],
      baseline: 'plain',
      seeds: 2,
      report: { title: 'tiny' },
    };
    const job = resolveExperiment(tiny, 'quick', { epochs: 1 });
    expect(job.seeds).toEqual([1, 2]);
    expect(job.variants[1]!.config).toMatchObject({
      experiment: 'pmnist',
      hidden: 4,
      epochs: 1,
      zoneoutCell: 0.1,
    });
  });
});

describe('readExperimentJob: directories of other versions', () => {
  it('a compare directory written before --seeds reads as one seed with the old layout', () => {
    const dir = jobDir(OLD_CONFIG);
    expect(isExperimentDir(dir)).toBe(true);
    const { job, definition } = readExperimentJob(dir);
    expect(definition.name).toBe('compare');
    expect(jobSeeds(job)).toEqual([1]);
    expect(jobRuns(job, dir).map((r) => r.dir)).toEqual(compare.variants.map((v) => join(dir, v.name)));
  });

  it('a config.json it cannot resume fails with why and what to do', () => {
    const { variants: _, ...noVariants } = OLD_CONFIG;
    expect(() => readExperimentJob(jobDir({ ...noVariants, variants: 'all' }))).toThrow(
      /config\.json: not an experiment config this version of regulab can resume \(variants: .*\); start the experiment anew in another directory/,
    );
    expect(() => readExperimentJob(jobDir({ ...OLD_CONFIG, experiment: 'sweep' }))).toThrow(
      /experiment 'sweep' is not one this version of regulab knows \(known: compare.*\); resume it with the version that started it, or start the experiment anew/,
    );
    const broken = structuredClone(OLD_CONFIG);
    broken.variants[3].config.zoneoutCell = 'high';
    expect(() => readExperimentJob(jobDir(broken))).toThrow(
      /variant 'zoneout': --zoneout-cell: .*got "high" \(written by another version of regulab\?\); start the experiment anew/,
    );
    expect(() => readExperimentJob(jobDir({ ...OLD_CONFIG, seeds: [1] }))).toThrow(/seeds: /);
  });

  it('a single run directory is not an experiment directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'regulab-job-'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.json'), JSON.stringify(OLD_CONFIG.variants[0].config));
    expect(isExperimentDir(dir)).toBe(false);
  });
});
