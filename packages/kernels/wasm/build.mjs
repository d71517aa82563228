// Builds the WebAssembly kernels (AssemblyScript → wasm/bin/*.wasm, four variants: plain or
// relaxed SIMD, unshared or shared memory) and writes wasm/bin/manifest.json with the SHA-256 of
// the sources and of each binary, so a test can tell that the committed binaries match the
// sources. Run with `npm run build:wasm -w packages/kernels`.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';
import { embed } from './embed.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const TARGETS = ['plain', 'relaxed', 'shared', 'shared-relaxed'];

/** SHA-256 over the AssemblyScript sources and the build configuration, in name order. */
export function sourceHash() {
  const h = createHash('sha256');
  const files = readdirSync(join(here, 'assembly'))
    .filter((f) => f.endsWith('.ts'))
    .sort();
  for (const f of [...files.map((f) => join('assembly', f)), 'asconfig.json']) {
    h.update(f)
      .update('\0')
      .update(readFileSync(join(here, f)))
      .update('\0');
  }
  return h.digest('hex');
}

export async function build() {
  const config = JSON.parse(readFileSync(join(here, 'asconfig.json'), 'utf8'));
  const manifest = { sources: sourceHash(), binaries: {} };
  for (const target of TARGETS) {
    const { error, stderr } = await asc.main(
      ['--config', join(here, 'asconfig.json'), '--target', target, '--disableWarning', '112'],
      {},
    );
    if (error) throw new Error(`asc failed for ${target}: ${error.message}\n${stderr.toString()}`);
    const out = join(here, config.targets[target].outFile);
    manifest.binaries[config.targets[target].outFile] = createHash('sha256')
      .update(readFileSync(out))
      .digest('hex');
  }
  const tmp = join(here, 'bin', 'manifest.json.tmp');
  writeFileSync(tmp, JSON.stringify(manifest, null, 2) + '\n');
  renameSync(tmp, join(here, 'bin', 'manifest.json'));
  embed(); // src/wasm/binaries.ts, the binaries as the loader imports them
  return manifest;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const m = await build();
  console.log(`built ${Object.keys(m.binaries).length} binaries (sources ${m.sources.slice(0, 12)})`);
}
