/**
 * Sweeps across machines on a real Redis (Debian's `redis-server`, started here on a free
 * loopback port with a password, no persistence, in a temporary directory, and stopped at the
 * end) and the built executable (`npm run build` first): two `regulab worker` processes take the
 * runs, one is killed mid-run, and the sweep still ends with every cell and seed trained exactly
 * once, the killed run resumed from its checkpoint by the other worker, and a successive-halving
 * search runs through the queue, its jobs stopping at their rungs. Also: a wrong password or
 * an unreachable server is one line and exit 2, the password is never printed or written, and a
 * job that is not a valid sweep run is rejected without running.
 *
 * Skipped, saying why, when redis-server is not installed (.ci/run installs it).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../src/errors.js';
import { QUEUE_NAME } from '../src/sweep/queue/jobs.js';
import { CLI, metrics } from './cli-child.js';

const redisServer = (() => {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
})();
if (!redisServer)
  console.warn('lab-sweep-queue: skipped, redis-server is not installed (apt-get install redis-server)');

const PASSWORD = 'pw-Zq8s1-not-in-logs';
const TINY = ['--preset', 'quick', '--train-chars', '600', '--eval-tokens', '200'];

interface Proc {
  child: ChildProcess;
  out: () => string;
  done: Promise<number | null>;
}

function regulab(args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, [CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const done = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return { child, out: () => out, done };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function until(what: string, ok: () => boolean, ms = 300_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!redisServer)('regulab sweep --queue (BullMQ on redis-server)', () => {
  let redis: ChildProcess;
  let port: number;
  let url: string;
  const connection = () => ({ host: '127.0.0.1', port, password: PASSWORD, maxRetriesPerRequest: null });

  beforeAll(async () => {
    port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'regulab-redis-'));
    redis = spawn(
      redisServer!,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--requirepass',
        PASSWORD,
      ],
      { stdio: 'ignore' },
    );
    url = `redis://:${PASSWORD}@127.0.0.1:${port}`;
    // Ready when a worker's connection check passes (the check itself is what is tested below).
    const probe = new Queue('probe', { connection: connection() });
    await probe.waitUntilReady();
    await probe.close();
  }, 30_000);

  afterAll(() => {
    redis?.kill('SIGTERM');
  });

  it('says in one line, exit 2, that the password is wrong or the server unreachable', async () => {
    const store = mkdtempSync(join(tmpdir(), 'regulab-store-'));
    const elsewhere = await freePort();
    const [wrong, none, gone] = [
      `redis://:not-${PASSWORD}@127.0.0.1:${port}`,
      `redis://127.0.0.1:${port}`,
      `redis://:${PASSWORD}@127.0.0.1:${elsewhere}`,
    ].map((q) => regulab(['worker', '--queue', q, '--store', store])) as [Proc, Proc, Proc];
    for (const p of [wrong, none, gone]) expect(await p.done).toBe(ExitCode.usage);
    expect(wrong.out().trim()).toBe(
      `regulab: error: redis://127.0.0.1:${port}: Redis refused the password (check the password in --queue or REGULAB_REDIS_PASSWORD)`,
    );
    expect(none.out()).toMatch(/Redis requires a password/);
    expect(gone.out().trim().split('\n')).toHaveLength(1);
    expect(gone.out()).toMatch(/connection refused: is redis-server running there/);
    for (const p of [wrong, none, gone]) expect(p.out()).not.toContain(PASSWORD);
  }, 60_000);

  it('rejects, without running, a job that is not a valid run of a sweep in the store', async () => {
    const store = mkdtempSync(join(tmpdir(), 'regulab-store-'));
    // A run directory whose config fails the schema (an unknown task, a command where a number goes).
    mkdirSync(join(store, 'evil', 'c1-x', 'seed-1'), { recursive: true });
    writeFileSync(
      join(store, 'evil', 'c1-x', 'seed-1', 'config.json'),
      JSON.stringify({ experiment: 'charlm', preset: 'quick', hidden: 'require("child_process")' }),
    );
    const worker = regulab(['worker', '--queue', url, '--store', store, '--lock-seconds', '3']);
    const queue = new Queue(QUEUE_NAME, { connection: connection() });
    const events = new QueueEvents(QUEUE_NAME, { connection: connection() });
    try {
      await events.waitUntilReady();
      const outside = await queue.add('run', { sweep: '..', run: 'etc/seed-1' }, { attempts: 3 });
      await expect(outside.waitUntilFinished(events)).rejects.toThrow(/rejected: not a sweep run/);
      const invalid = await queue.add('run', { sweep: 'evil', run: 'c1-x/seed-1' }, { attempts: 3 });
      await expect(invalid.waitUntilFinished(events)).rejects.toThrow(/"hidden":/);
      expect((await queue.getJob(invalid.id!))!.attemptsMade).toBe(1); // not retried
      expect(existsSync(join(store, 'evil', 'c1-x', 'seed-1', 'metrics.jsonl'))).toBe(false);
    } finally {
      worker.child.kill('SIGKILL');
      await worker.done;
      await events.close();
      await queue.close();
    }
  }, 90_000);

  it('ends with every cell × seed once when a worker is killed mid-run, its run resumed from its checkpoint', async () => {
    const store = mkdtempSync(join(tmpdir(), 'regulab-store-'));
    const dir = join(store, 'grid');
    const env = { REGULAB_REDIS_PASSWORD: PASSWORD };
    const queue = `redis://127.0.0.1:${port}`; // the password from the environment
    const workers = [0, 1].map(() =>
      regulab(['worker', '--queue', queue, '--store', store, '--lock-seconds', '3'], env),
    );
    const args = [
      'sweep',
      'charlm',
      ...TINY,
      '--epochs',
      '6',
      '--grid',
      'dropout=0,0.25',
      '--seeds',
      '2',
      '--queue',
      queue,
      '--out',
      dir,
    ];
    const sweep = regulab([...args, '--json'], env);
    try {
      // Kill the first worker once a run it holds has a checkpoint (epoch 1 or later).
      let victim = '';
      await until('a run with a checkpoint on worker 0', () => {
        victim = /(grid\/\S+\/seed-\d+): epoch +1 /.exec(workers[0]!.out())?.[1] ?? '';
        const ckpt = existsSync(join(store, victim, 'checkpoints', 'last.ckpt'));
        return victim !== '' && ckpt && !existsSync(join(store, victim, 'summary.json'));
      });
      workers[0]!.child.kill('SIGKILL');
      expect(await sweep.done, sweep.out()).toBe(ExitCode.ok);
      const summary = JSON.parse(sweep.out().trim().split('\n').at(-1)!);
      const runs = summary.cells.flatMap((c: { runs: { run: string; status: string }[] }) => c.runs);
      expect(runs).toHaveLength(4);
      for (const r of runs) {
        expect(r.status).toBe('finished');
        // Every epoch once per split, nothing lost and nothing doubled.
        expect(metrics(join(dir, r.run)).map((m) => (m as { epoch: number; split: string }).epoch)).toEqual([
          1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6,
        ]);
      }
      // The stall is reported, with the run it happened to.
      const victimRun = victim.replace(/^grid\//, '');
      expect(summary.conclusions.join(' ')).toMatch(/run\(s\) were retried before they ended/);
      expect(summary.conclusions.join(' ')).toContain(`${victimRun}: `);
      // The other worker took the killed worker's run over from its checkpoint.
      const run = victim.replace(/^grid\//, '');
      expect(workers[1]!.out()).toMatch(
        new RegExp(`${run.replace(/[.=+]/g, '\\$&')}: resuming after epoch [1-5]`),
      );
      // The sweep started again finds everything done; its status says so.
      const again = regulab(args, env);
      expect(await again.done, again.out()).toBe(ExitCode.ok);
      expect(again.out()).toContain('(0 not ended)');
      // Successive halving through the queue (the surviving worker): jobs stop at their rung.
      const asha = regulab(
        [
          'sweep',
          'charlm',
          ...TINY,
          '--epochs',
          '3',
          '--search',
          'random',
          '--trials',
          '4',
          '--range',
          'lr=1e-3:3e-2:log',
          '--halving',
          '--queue',
          queue,
          '--out',
          join(store, 'asha'),
          '--json',
        ],
        env,
      );
      expect(await asha.done, asha.out()).toBe(ExitCode.ok);
      const trials = JSON.parse(asha.out().trim().split('\n').at(-1)!).cells.map(
        (c: { runs: { epochs: number }[] }) => c.runs[0]!.epochs,
      );
      expect(trials.every((e: number) => e === 1 || e === 3)).toBe(true);
      expect(trials.filter((e: number) => e === 3).length).toBeGreaterThanOrEqual(1); // ⌊4 / 3⌋
      for (const p of [sweep, again, asha, ...workers]) expect(p.out()).not.toContain(PASSWORD);
      const written = readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && /\.(json|jsonl|html)$/.test(e.name))
        .map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'));
      for (const text of written) expect(text).not.toContain(PASSWORD);
    } finally {
      for (const w of workers) w.child.kill('SIGKILL');
      sweep.child.kill('SIGKILL');
    }
  }, 480_000);
});
