/**
 * Builds the test app (./app/main.js, which only imports tfjs and `regulab`) with each bundler,
 * as a new user would: the bundler's defaults plus only what any tfjs app needs (Rollup: resolve
 * node_modules for the browser and convert CommonJS, since tfjs depends on CommonJS packages).
 * No bundler is told about Regulab's WebAssembly: the kernels are embedded in the library.
 * Each build writes `index.html` (+ the bundle) into `outDir`.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const APP_DIR = fileURLToPath(new URL('./app/', import.meta.url));
const ENTRY = join(APP_DIR, 'main.js');

export const BUNDLERS = ['esbuild', 'esbuild-iife', 'webpack', 'rollup', 'vite'] as const;
export type Bundler = (typeof BUNDLERS)[number];

/** A page that loads main.js as a module (index.html of the app), or as a classic script. */
function writePage(outDir: string, kind: 'module' | 'classic'): void {
  if (kind === 'module') copyFileSync(join(APP_DIR, 'index.html'), join(outDir, 'index.html'));
  else
    writeFileSync(
      join(outDir, 'index.html'),
      '<!doctype html><meta charset="utf-8"><title>regulab iife</title><script src="./main.js"></script>\n',
    );
}

/** The page that runs the module bundle in a Web Worker and keeps its report. */
export function writeWorkerPage(outDir: string): void {
  writeFileSync(
    join(outDir, 'worker.html'),
    `<!doctype html><meta charset="utf-8"><title>regulab in a worker</title><script>
const worker = new Worker('./main.js', { type: 'module' });
worker.onmessage = (e) => { globalThis.__regulab = e.data; };
worker.onerror = (e) => { globalThis.__regulab = { error: 'worker: ' + e.message }; };
</script>\n`,
  );
}

export async function bundleApp(bundler: Bundler, outDir: string): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  switch (bundler) {
    case 'esbuild':
    case 'esbuild-iife': {
      const esbuild = await import('esbuild');
      const iife = bundler === 'esbuild-iife';
      await esbuild.build({
        entryPoints: [ENTRY],
        bundle: true,
        platform: 'browser',
        format: iife ? 'iife' : 'esm',
        outfile: join(outDir, 'main.js'),
        logLevel: 'error',
      });
      writePage(outDir, iife ? 'classic' : 'module');
      return;
    }
    case 'webpack': {
      const { default: webpack } = await import('webpack');
      // mode 'development' (no minifier) only to keep the test fast; devtool off for a plain file.
      const stats = await new Promise<import('webpack').Stats>((resolve, reject) =>
        webpack(
          {
            mode: 'development',
            devtool: false,
            entry: ENTRY,
            output: { path: outDir, filename: 'main.js' },
          },
          (err, s) => (err || !s ? reject(err ?? new Error('webpack: no stats')) : resolve(s)),
        ),
      );
      if (stats.hasErrors()) throw new Error(`webpack: ${stats.toString('errors-only')}`);
      writePage(outDir, 'classic');
      return;
    }
    case 'rollup': {
      const { rollup } = await import('rollup');
      const { nodeResolve } = await import('@rollup/plugin-node-resolve');
      const cjs = await import('@rollup/plugin-commonjs');
      // its types describe a CommonJS module (default export one level down); the ESM one is flat
      const commonjs = cjs.default as unknown as typeof cjs.default.default;
      const bundle = await rollup({
        input: ENTRY,
        plugins: [nodeResolve({ browser: true }), commonjs()],
        onwarn: () => {},
      });
      await bundle.write({ file: join(outDir, 'main.js'), format: 'es', inlineDynamicImports: true });
      await bundle.close();
      writePage(outDir, 'module');
      return;
    }
    case 'vite': {
      const { build } = await import('vite');
      // Vite's own way: build the app's index.html (it rewrites the script tag to its bundle);
      // base './' since the test serves each build from a folder, not from the site's root.
      await build({
        root: APP_DIR,
        base: './',
        configFile: false,
        logLevel: 'error',
        build: { outDir, emptyOutDir: true },
      });
      return;
    }
  }
}
