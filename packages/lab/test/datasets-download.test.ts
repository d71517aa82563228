import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { downloadToCache } from '../src/datasets/download.js';
import { loadText8, text8FromBytes } from '../src/datasets/text8.js';

const tmp = mkdtempSync(join(tmpdir(), 'regulab-dl-'));
const payload = Buffer.from('the quick brown fox jumps over the lazy dog '.repeat(2000));
const md5 = createHash('md5').update(payload).digest('hex');
const sha256 = createHash('sha256').update(payload).digest('hex');

// A loopback server: /ok serves the payload, /short announces more bytes than it sends, /missing 404s.
let server: Server;
let base = '';
let requests = 0;
beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    if (req.url === '/ok') {
      res.writeHead(200, { 'content-length': payload.length });
      res.end(payload);
    } else if (req.url === '/short') {
      res.writeHead(200, { 'content-length': payload.length });
      res.write(payload.subarray(0, 1000));
      setTimeout(() => res.destroy(), 20);
    } else {
      res.writeHead(404, 'Not Found');
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.close();
  rmSync(tmp, { recursive: true, force: true });
});

const noPart = (dir: string) => expect(readdirSync(dir).filter((f) => f.endsWith('.part'))).toEqual([]);

describe('downloadToCache', () => {
  it('downloads over http, checks the MD5, writes the file and reuses it without a new request', async () => {
    const cacheDir = mkdtempSync(join(tmp, 'http-'));
    const seen: number[] = [];
    const path = await downloadToCache({
      url: `${base}/ok`,
      fileName: 'data.txt',
      checksum: { algorithm: 'md5', hex: md5 },
      cacheDir,
      onProgress: (r) => seen.push(r),
    });
    expect(path).toBe(join(cacheDir, 'data.txt'));
    expect(readFileSync(path).equals(payload)).toBe(true);
    expect(seen.at(-1)).toBe(payload.length);
    noPart(cacheDir);
    const before = requests;
    await downloadToCache({
      url: `${base}/ok`,
      fileName: 'data.txt',
      checksum: { algorithm: 'md5', hex: md5 },
      cacheDir,
    });
    expect(requests).toBe(before);
  });

  it('a cached file with a wrong digest is downloaded again', async () => {
    const cacheDir = mkdtempSync(join(tmp, 'stale-'));
    writeFileSync(join(cacheDir, 'data.txt'), 'corrupted');
    const path = await downloadToCache({
      url: `${base}/ok`,
      fileName: 'data.txt',
      checksum: { algorithm: 'sha256', hex: sha256 },
      cacheDir,
    });
    expect(readFileSync(path).equals(payload)).toBe(true);
  });

  it('a checksum mismatch keeps nothing and says what was expected', async () => {
    const cacheDir = mkdtempSync(join(tmp, 'bad-'));
    await expect(
      downloadToCache({
        url: `${base}/ok`,
        fileName: 'x.txt',
        checksum: { algorithm: 'md5', hex: '0'.repeat(32) },
        cacheDir,
      }),
    ).rejects.toThrow(new RegExp(`/ok: checksum mismatch: expected md5 0{32}, got ${md5}`));
    expect(existsSync(join(cacheDir, 'x.txt'))).toBe(false);
    noPart(cacheDir);
  });

  it('HTTP errors and truncated transfers are errors; nothing is left behind', async () => {
    const cacheDir = mkdtempSync(join(tmp, 'err-'));
    const checksum = { algorithm: 'md5' as const, hex: md5 };
    await expect(
      downloadToCache({ url: `${base}/missing`, fileName: 'a', checksum, cacheDir }),
    ).rejects.toThrow(/\/missing: HTTP 404 Not Found/);
    await expect(
      downloadToCache({ url: `${base}/short`, fileName: 'b', checksum, cacheDir }),
    ).rejects.toThrow(/\/short: (truncated download|download failed)/);
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  it('file: URLs (a local mirror) work the same way', async () => {
    const src = join(tmp, 'mirror.txt');
    writeFileSync(src, payload);
    const cacheDir = mkdtempSync(join(tmp, 'file-'));
    const path = await downloadToCache({
      url: pathToFileURL(src).href,
      fileName: join('sub', 'copy.txt'),
      checksum: { algorithm: 'sha256', hex: sha256 },
      cacheDir,
    });
    expect(readFileSync(path).equals(payload)).toBe(true);
    await expect(
      downloadToCache({
        url: pathToFileURL(join(tmp, 'nope')).href,
        fileName: 'n',
        checksum: { algorithm: 'md5', hex: md5 },
        cacheDir,
      }),
    ).rejects.toThrow(/nope: no such file/);
  });
});

describe('Text8', () => {
  it('27-symbol vocabulary, 90 / 5 / 5 % split of a small sample, from a file or a zip', async () => {
    const text = 'anarchism originated as a term of abuse '.repeat(50); // 2000 bytes
    const c = text8FromBytes(Buffer.from(text), 'sample');
    expect(c.vocab.size).toBe(27);
    expect([c.train.length, c.valid.length, c.test.length]).toEqual([1800, 100, 100]);
    expect(c.vocab.decode(c.train.subarray(0, 9)).join('')).toBe('anarchism');
    const zipPath = join(tmp, 'text8.zip');
    writeFileSync(zipPath, zipSync({ text8: Buffer.from(text) }));
    const z = await loadText8({ path: zipPath });
    expect(Array.from(z.test)).toEqual(Array.from(c.test));
  });

  it('characters outside a–z and space, and archives without text8, are errors naming the file', async () => {
    expect(() => text8FromBytes(Buffer.from('hello World and more text'), 'x/text8')).toThrow(
      /x\/text8: byte 6: character "W" \(0x57\) is outside the text8 vocabulary/,
    );
    const zipPath = join(tmp, 'other.zip');
    writeFileSync(zipPath, zipSync({ readme: Buffer.from('hi') }));
    await expect(loadText8({ path: zipPath })).rejects.toThrow(
      /other\.zip: the archive has no `text8` entry/,
    );
    await expect(loadText8()).rejects.toThrow(/give the path of the text8 file or allow download/);
  });
});
