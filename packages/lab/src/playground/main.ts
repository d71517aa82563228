/**
 * `npm run playground`: builds the playground (./build.ts) and serves it on 127.0.0.1 with the
 * cross-origin isolation headers (two kernel threads per model), printing the address.
 *
 *   npm run playground                     build into a temporary folder and serve on port 8317
 *   npm run playground -- --port 9000      another port
 *   npm run playground -- --out site/      only build into site/ (for any static host)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { serveStatic } from '../browser/static-server.js';
import { buildPlayground } from './build.js';

const argv = process.argv.slice(2);
const opt = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);

async function main(): Promise<void> {
  const out = opt('--out');
  if (out !== undefined) {
    await buildPlayground(resolve(out));
    console.log(`playground built into ${resolve(out)} (serve it with COOP/COEP headers for threads)`);
    return;
  }
  const port = Number(opt('--port') ?? 8317);
  if (!(Number.isInteger(port) && port >= 0 && port < 65536))
    throw new Error(`--port must be 0–65535, got ${opt('--port')}`);
  const dir = mkdtempSync(join(tmpdir(), 'regulab-playground-'));
  await buildPlayground(dir);
  const server = await serveStatic(dir, port);
  console.log(`Regulab playground: ${server.origin}/isolated/  (Ctrl-C to stop)`);
}

main().catch((e: unknown) => {
  console.error(`playground: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
