// Writes the generated sides of the kernel boundary (native/src/abi.h, wasm/assembly/abi.ts) from
// src/fused/abi.ts, through the compiled dist/fused/abi-emit.js. Run with
// `npm run gen:abi -w packages/kernels` (which compiles first); build:native and build:wasm run it.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generatedFiles } from '../dist/fused/abi-emit.js';

const root = new URL('../', import.meta.url);
for (const { path, text } of generatedFiles()) {
  const file = fileURLToPath(new URL(path, root));
  let old = '';
  try {
    old = readFileSync(file, 'utf8');
  } catch {
    // a new file
  }
  if (old === text) continue;
  writeFileSync(file, text);
  console.log(`wrote ${path}`);
}
