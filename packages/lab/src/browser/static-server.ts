/**
 * A tiny static file server on 127.0.0.1 for the browser tests, the bench and the playground.
 * Under /isolated/ it sends the cross-origin isolation headers (COOP same-origin, COEP
 * require-corp), so the page gets SharedArrayBuffer and the kernels' threads; under /plain/ none.
 * Files come from `root` under both prefixes; nothing outside `root` is served.
 */
import { readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export interface StaticServer {
  /** http://127.0.0.1:PORT (no trailing slash). */
  origin: string;
  close(): Promise<void>;
}

/** Serves `root`; a path ending in / serves its index.html. */
export async function serveStatic(root: string): Promise<StaticServer> {
  const base = normalize(root) + sep;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const m = /^\/(isolated|plain)(\/.*)$/.exec(url.pathname);
      const rel = decodeURIComponent(m ? m[2] : url.pathname);
      let file = normalize(join(base, rel.endsWith('/') ? rel + 'index.html' : rel));
      const headers: Record<string, string> = m?.[1] === 'isolated' ? { ...ISOLATION_HEADERS } : {};
      try {
        if (!file.startsWith(base)) throw new Error('outside the root');
        if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
        const body = await readFile(file);
        res.writeHead(200, {
          ...headers,
          'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
        });
        res.end(body);
      } catch {
        res.writeHead(404, headers);
        res.end('not found');
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
