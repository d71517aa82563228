/**
 * Connecting to the queue's Redis: one ping with a short timeout before BullMQ is given the
 * connection, so an unreachable server or a wrong password is one clear ConfigError (exit 2)
 * instead of BullMQ's endless reconnection attempts. The password never reaches a message.
 */
import { Redis } from 'ioredis';
import { ConfigError } from '../../errors.js';
import { redact, type RedisTarget } from './redis-url.js';

/** ioredis options for BullMQ (which needs maxRetriesPerRequest: null on its blocking connections). */
export function connectionOptions(target: RedisTarget) {
  return {
    host: target.host,
    port: target.port,
    db: target.db,
    ...(target.password === undefined ? {} : { password: target.password }),
    ...(target.username === undefined ? {} : { username: target.username }),
    maxRetriesPerRequest: null,
    connectTimeout: 5000,
  };
}

/** Checks that Redis at `target` answers and accepts the credentials; throws a ConfigError if not. */
export async function checkRedis(target: RedisTarget): Promise<void> {
  const client = new Redis({
    ...connectionOptions(target),
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  // The cause arrives as an 'error' event; the promise only says the connection closed.
  let cause: unknown;
  client.on('error', (e) => (cause ??= e));
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    throw new ConfigError(`${target.display}: ${why(cause ?? e, target)}`);
  } finally {
    client.disconnect();
  }
}

function why(e: unknown, target: RedisTarget): string {
  const message = redact(e instanceof Error ? e.message : String(e), target.password);
  const code = (e as { code?: string }).code;
  if (/WRONGPASS|invalid password|invalid username-password/i.test(message))
    return 'Redis refused the password (check the password in --queue or REGULAB_REDIS_PASSWORD)';
  if (/NOAUTH/i.test(message))
    return 'Redis requires a password: give it as redis://:password@host:port or in REGULAB_REDIS_PASSWORD';
  if (code === 'ECONNREFUSED') return 'connection refused: is redis-server running there, on that port?';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `no such host ${target.host}`;
  if (code === 'ETIMEDOUT' || /timeout/i.test(message))
    return 'no answer within 5 s (a firewall, or the wrong host?)';
  return `cannot use Redis: ${message}`;
}
