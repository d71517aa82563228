/**
 * The published packages load from CommonJS and from ES modules: `npm pack` of @regulab/kernels
 * and regulab (their built dist: `npm run build` first, as CI does), `npm install` of the two
 * tarballs into a temporary project, then a CommonJS script that `require`s regulab and an ES
 * module that `import`s it each run the same small LSTM forward in a fresh Node process.
 *
 * Offline: the registry is not used. The tarballs' dependencies (@tensorflow/tfjs, node-gyp-build,
 * node-addon-api) are linked into the project from the workspace's node_modules first, so npm finds
 * them installed; `--ignore-scripts` skips building the native addon (Regulab then runs its
 * WebAssembly kernels, as after a failed build).
 *
 * `require` of an ES module needs Node ≥ 20.19 (the packages' `engines`); it fails on a module
 * graph with a top-level await (ERR_REQUIRE_ASYNC_MODULE), which is what this guards against.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as rl from 'regulab';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const packages = ['packages/kernels', 'packages/core'].map((p) => join(root, p));
const linkedDependencies = ['@tensorflow/tfjs', 'node-gyp-build', 'node-addon-api'];

/** The forward both scripts run; prints its output as the last line of stdout (tfjs prints a banner first). */
const forward = `
const layer = rl.layers.lstm({ units: 3, seed: 1 });
const x = tf.tensor3d([...Array(2 * 4 * 5).keys()].map((i) => Math.sin(i)), [2, 4, 5]);
const y = layer.apply(x);
console.log(JSON.stringify({ shape: y.shape, tensor: y instanceof tf.Tensor, values: Array.from(y.dataSync()) }));
`;

let project = '';

beforeAll(() => {
  for (const p of packages) {
    expect(existsSync(join(p, 'dist/index.js')), `${p}/dist is missing: run \`npm run build\` first`).toBe(
      true,
    );
  }
  project = mkdtempSync(join(tmpdir(), 'regulab-install-'));
  const packed = JSON.parse(
    execFileSync('npm', ['pack', ...packages, '--pack-destination', project, '--json'], {
      cwd: project,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  ) as { filename: string }[];
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  for (const dep of linkedDependencies) {
    mkdirSync(join(project, 'node_modules', dep, '..'), { recursive: true });
    symlinkSync(join(root, 'node_modules', dep), join(project, 'node_modules', dep), 'dir');
  }
  execFileSync(
    'npm',
    [
      'install',
      '--offline',
      '--ignore-scripts',
      '--no-save',
      '--no-audit',
      '--no-fund',
      ...packed.map((p) => `./${p.filename}`),
    ],
    { cwd: project, stdio: 'ignore' },
  );
  writeFileSync(
    join(project, 'use.cjs'),
    `const tf = require('@tensorflow/tfjs');\nconst rl = require('regulab');\n${forward}`,
  );
  writeFileSync(
    join(project, 'use.mjs'),
    `import * as tf from '@tensorflow/tfjs';\nimport * as rl from 'regulab';\n${forward}`,
  );
}, 120_000);

afterAll(() => {
  if (project !== '') rmSync(project, { recursive: true, force: true });
});

type Result = { shape: number[]; tensor: boolean; values: number[] };

/** Runs a script of the installed project in a fresh Node process; its result line. */
async function run(script: string): Promise<Result> {
  const { stdout } = await promisify(execFile)(process.execPath, [script], {
    cwd: project,
    encoding: 'utf8',
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Result;
}

describe('regulab installed from npm pack tarballs', () => {
  it('installs the tarballs (regulab and @regulab/kernels from the tarballs, not links)', () => {
    for (const name of ['regulab', '@regulab/kernels']) {
      expect(existsSync(join(project, 'node_modules', name, 'dist/index.js')), name).toBe(true);
    }
    expect(existsSync(join(project, 'node_modules/@regulab/kernels/wasm/bin'))).toBe(true);
  });

  it("require('regulab') from CommonJS and import('regulab') run the same LSTM forward as the sources", async () => {
    const [cjs, esm] = await Promise.all([run('use.cjs'), run('use.mjs')]);
    expect(cjs.shape).toEqual([2, 3]);
    expect(cjs.tensor, "regulab's tensors are the consumer's tf.Tensor (one tfjs)").toBe(true);
    expect(esm).toEqual(cjs);
    // The same layer here, on the sources: agrees to float32 rounding across kernel backends.
    const layer = rl.layers.lstm({ units: 3, seed: 1 });
    const x = tf.tensor3d(
      [...Array(2 * 4 * 5).keys()].map((i) => Math.sin(i)),
      [2, 4, 5],
    );
    const y = layer.apply(x) as tf.Tensor;
    const here = Array.from(y.dataSync());
    cjs.values.forEach((v, i) => expect(Math.abs(v - here[i]!)).toBeLessThan(1e-5));
    tf.dispose([x, y]);
  });
});
