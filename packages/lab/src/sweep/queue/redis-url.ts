/**
 * `--queue redis://[:password@]host:port[/db]`: where the BullMQ queue of sweeps lives. The
 * password may also come from REGULAB_REDIS_PASSWORD (so it need not appear in a process list).
 * It is kept out of everything written or printed: messages use `display`, which never holds it.
 */
import { ConfigError } from '../../errors.js';

export interface RedisTarget {
  host: string;
  port: number;
  db: number;
  password?: string;
  username?: string;
  /** `redis://host:port/db`: the URL without its credentials, for messages. */
  display: string;
}

/** Parses a `--queue` URL; errors never repeat the URL itself (it may hold a password). */
export function parseRedisUrl(text: string, env: NodeJS.ProcessEnv = process.env): RedisTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(
      '--queue: not a URL; expected redis://[:password@]host:port (e.g. redis://127.0.0.1:6379)',
    );
  }
  if (url.protocol !== 'redis:')
    throw new ConfigError(
      `--queue: expected a redis:// URL, got the scheme ${url.protocol.replace(/:$/, '')}`,
    );
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === '') throw new ConfigError('--queue: the URL names no host (redis://host:port)');
  const port = url.port === '' ? 6379 : Number(url.port);
  const path = url.pathname.replace(/^\//, '');
  const db = path === '' ? 0 : Number(path);
  if (!Number.isInteger(db) || db < 0 || !/^\d*$/.test(path))
    throw new ConfigError(
      `--queue: the database after the port must be a number, got ${JSON.stringify(path)}`,
    );
  const password =
    url.password !== '' ? decodeURIComponent(url.password) : env.REGULAB_REDIS_PASSWORD || undefined;
  const username = url.username !== '' ? decodeURIComponent(url.username) : undefined;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    host,
    port,
    db,
    ...(password === undefined ? {} : { password }),
    ...(username === undefined ? {} : { username }),
    display: `redis://${shown}:${port}${db === 0 ? '' : `/${db}`}`,
  };
}

/** Removes `secret` from a message (a library's error text), should it appear there. */
export function redact(message: string, secret: string | undefined): string {
  return secret ? message.split(secret).join('***') : message;
}
