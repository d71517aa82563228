/**
 * `npm run bench -- --browser`: the charlm-step bench in headless Chromium (issue 18). Bundles
 * ./page.ts with esbuild, serves it from 127.0.0.1 (cross-origin isolated unless said otherwise:
 * SharedArrayBuffer, so Regulab's and tfjs's WebAssembly use threads), and times each
 * implementation in a fresh page, one after the other: regulab-wasm (isolated: 2 threads; and a
 * plain page: 1 thread), tfjs-wasm, tfjs-webgl (software-rendered: SwiftShader, headless Chromium
 * has no GPU here), tfjs-cpu. Prints one JSON line per run (--json) or a table, then regulab-wasm's
 * speed-up over the best tfjs backend.
 *
 *   npm run bench -- --browser [--json] [--repeats 20] [--impl regulab-wasm,tfjs-webgl]
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumMissing, haveChromium, launchChromium } from '../../browser/chromium.js';
import { serveStatic } from '../../browser/static-server.js';
import type { BrowserImpl } from './page.js';

interface Run {
  impl: BrowserImpl;
  isolated: boolean;
  repeats: number;
  warmup: number;
}

/** Builds the page and the files it loads into `dir`. */
async function buildPage(dir: string): Promise<void> {
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [fileURLToPath(new URL('./page.js', import.meta.url))],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    outfile: join(dir, 'page.js'),
    logLevel: 'error',
  });
  const wasmDir = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
  for (const f of readdirSync(wasmDir).filter((f) => f.endsWith('.wasm')))
    copyFileSync(join(wasmDir, f), join(dir, f));
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><meta charset="utf-8"><title>regulab browser bench</title><script type="module" src="./page.js"></script>\n',
  );
}

export async function runBrowserBench(argv: string[]): Promise<void> {
  if (!haveChromium) throw new Error(`the browser bench needs Chromium: ${chromiumMissing}`);
  const json = argv.includes('--json');
  const at = argv.indexOf('--repeats');
  const repeats = at >= 0 ? Number(argv[at + 1]) : 20;
  if (!(Number.isInteger(repeats) && repeats >= 1)) throw new Error(`--repeats must be a positive integer`);
  const slow = Math.min(repeats, 3); // tfjs's LSTM takes seconds per step
  const runs: Run[] = [
    { impl: 'regulab-wasm', isolated: true, repeats, warmup: 10 },
    { impl: 'regulab-wasm', isolated: false, repeats, warmup: 10 },
    { impl: 'tfjs-wasm', isolated: true, repeats: slow, warmup: 1 },
    { impl: 'tfjs-webgl', isolated: true, repeats: slow, warmup: 1 },
    { impl: 'tfjs-cpu', isolated: true, repeats: slow, warmup: 1 },
  ];
  const only = argv.indexOf('--impl') >= 0 ? argv[argv.indexOf('--impl') + 1].split(',') : null;
  const chosen = only ? runs.filter((r) => only.includes(r.impl)) : runs;
  const tmp = mkdtempSync(join(tmpdir(), 'regulab-browser-bench-'));
  const server = await serveStatic(tmp);
  const browser = await launchChromium(join(tmp, 'profile'), { webgl: true });
  const lines: Record<string, unknown>[] = [];
  try {
    await buildPage(join(tmp, 'page'));
    for (const r of chosen) {
      const page = await browser.newPage();
      const q = `impl=${r.impl}&repeats=${r.repeats}&warmup=${r.warmup}`;
      // 'commit': the page works from its first script on; waitForFunction bounds the wait
      await page.goto(`${server.origin}/${r.isolated ? 'isolated' : 'plain'}/page/index.html?${q}`, {
        waitUntil: 'commit',
      });
      const h = await page.waitForFunction(() => (globalThis as { __bench?: unknown }).__bench, null, {
        timeout: 600_000,
      });
      const line = (await h.jsonValue()) as Record<string, unknown>;
      line.browser = await page.evaluate(() => navigator.userAgent.match(/Chrom(e|ium)\/[\d.]+/)?.[0] ?? '');
      await page.close();
      lines.push(line);
      if (json) console.log(JSON.stringify(line));
    }
  } finally {
    await browser.close();
    await server.close();
    rmSync(tmp, { recursive: true, force: true });
  }
  const ms = (impl: string) =>
    Math.min(
      ...lines
        .filter((l) => l.impl === impl && typeof l.ms_per_step === 'number')
        .map((l) => l.ms_per_step as number),
    );
  const best = Math.min(ms('tfjs-wasm'), ms('tfjs-webgl'), ms('tfjs-cpu'));
  const summary = {
    case: 'charlm-step',
    x_faster_than_best_tfjs: Math.round((best / ms('regulab-wasm')) * 10) / 10,
    machine: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
  };
  if (json) console.log(JSON.stringify(summary));
  else {
    for (const l of lines)
      console.log(
        `${String(l.impl).padEnd(14)} ${String(l.ms_per_step ?? l.error).padStart(9)} ms/step  ` +
          `${l.isolated ? 'isolated' : 'plain   '}  ${l.kernels}${l.webgl_renderer ? `  (${l.webgl_renderer})` : ''}`,
      );
    console.log(
      `regulab-wasm is ${summary.x_faster_than_best_tfjs}× faster than the best tfjs backend (${summary.machine})`,
    );
  }
}
