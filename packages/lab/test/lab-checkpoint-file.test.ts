import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCheckpointFile, writeCheckpointFile } from '../src/store/checkpoint-file.js';
import { writeFileAtomic } from '../src/store/atomic.js';

function fresh(): string {
  return mkdtempSync(join(tmpdir(), 'regulab-ckpt-'));
}

const sample = () => ({
  meta: { epoch: 3, streams: { lstm_0: 17 }, note: 'ü' },
  tensors: new Map([
    [
      'weights/a/0',
      { dtype: 'float32' as const, shape: [2, 3], data: Float32Array.from([1.5, -2, 3e-8, 4, NaN, 6]) },
    ],
    ['optimizer/iter', { dtype: 'int32' as const, shape: [], data: Int32Array.from([41]) }],
    ['weights/b/0', { dtype: 'float32' as const, shape: [1], data: Float32Array.from([0.1]) }],
  ]),
});

describe('checkpoint file', () => {
  it('round-trips meta and tensors bit for bit', () => {
    const file = join(fresh(), 'last.ckpt');
    writeCheckpointFile(file, sample());
    const back = readCheckpointFile<ReturnType<typeof sample>['meta']>(file);
    expect(back.meta).toEqual(sample().meta);
    expect([...back.tensors.keys()]).toEqual([...sample().tensors.keys()]);
    for (const [name, t] of sample().tensors) {
      const got = back.tensors.get(name)!;
      expect(got.shape).toEqual(t.shape);
      expect(got.dtype).toEqual(t.dtype);
      expect(new Uint8Array(got.data.buffer)).toEqual(new Uint8Array(t.data.buffer)); // NaN bits included
    }
  });

  it('rejects a damaged file with an error naming the file and the problem', () => {
    const file = join(fresh(), 'last.ckpt');
    writeCheckpointFile(file, sample());
    const bytes = readFileSync(file);
    bytes[bytes.length - 2]! ^= 0xff;
    writeFileSync(file, bytes);
    expect(() => readCheckpointFile(file)).toThrow(
      `${file}: not a valid Regulab checkpoint (checksum mismatch)`,
    );
    writeFileSync(file, bytes.subarray(0, 20));
    expect(() => readCheckpointFile(file)).toThrow(/truncated header|unreadable header/);
    writeFileSync(file, 'hello world, not a checkpoint');
    expect(() => readCheckpointFile(file)).toThrow('bad magic number');
  });

  it('rejects a changed header (a flipped digit of the epoch) though the tensor data is intact', () => {
    const file = join(fresh(), 'last.ckpt');
    writeCheckpointFile(file, sample());
    const bytes = readFileSync(file);
    const at = bytes.indexOf('"epoch":3');
    expect(at).toBeGreaterThan(0);
    bytes[at + '"epoch":'.length] = '7'.charCodeAt(0);
    writeFileSync(file, bytes);
    expect(() => readCheckpointFile(file)).toThrow(
      `${file}: not a valid Regulab checkpoint (header checksum mismatch)`,
    );
  });

  it('keeps the replaced file when asked (keepPreviousAs)', () => {
    const dir = fresh();
    const [file, previous] = [join(dir, 'last'), join(dir, 'previous')];
    writeFileAtomic(file, 'one', { keepPreviousAs: previous });
    expect(readdirSync(dir)).toEqual(['last']);
    writeFileAtomic(file, 'two', { keepPreviousAs: previous });
    expect([readFileSync(file, 'utf8'), readFileSync(previous, 'utf8')]).toEqual(['two', 'one']);
  });

  it('writes atomically: the target is replaced whole and no temp file is left', () => {
    const dir = fresh();
    const file = join(dir, 'metrics.jsonl');
    writeFileAtomic(file, 'old\n');
    writeFileAtomic(file, 'new\n');
    expect(readFileSync(file, 'utf8')).toBe('new\n');
    expect(readdirSync(dir)).toEqual(['metrics.jsonl']);
    expect(existsSync(file)).toBe(true);
  });
});
