/**
 * Builds the playground into a folder any static host can serve: index.html, page.js and
 * trainer-worker.js (bundled by esbuild from ./page.ts and ./trainer-worker.ts, Regulab's
 * WebAssembly kernels inside), and texts.json (the texts to pick: this project's prose docs).
 * For two threads per model the host must send COOP same-origin + COEP require-corp.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PAGE_HTML } from './page-html.js';

/** Texts offered in the page, by label: files of this repository (MIT, like the code). */
const TEXTS: Record<string, string> = {
  'Regulab docs: recurrent regularizers (docs/recurrent.md)': 'docs/recurrent.md',
  'Regulab docs: techniques (docs/techniques.md)': 'docs/techniques.md',
  'Regulab docs: weight decay (docs/weight-decay.md)': 'docs/weight-decay.md',
};
const REPO = new URL('../../../../', import.meta.url); // dist/playground/ (or src/playground/) → repo

export async function buildPlayground(outDir: string): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: ['page', 'trainer-worker'].map((f) => fileURLToPath(new URL(`./${f}.js`, import.meta.url))),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    outdir: outDir,
    logLevel: 'error',
  });
  writeFileSync(join(outDir, 'index.html'), PAGE_HTML);
  const texts = Object.fromEntries(
    Object.entries(TEXTS).map(([label, path]) => [label, readFileSync(new URL(path, REPO), 'utf8')]),
  );
  writeFileSync(join(outDir, 'texts.json'), JSON.stringify(texts));
}
