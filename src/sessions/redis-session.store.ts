import type { RedisStore } from 'connect-redis';
import type { SessionData } from 'express-session';
import type { AppConfig, RedisConfig } from '../config/configuration.js';
import './session.types.js';
import { DependencyCircuit } from '../common/circuit-breaker.js';
import { DependencyUnavailableError } from '../common/dependency-unavailable.error.js';
import { asStoreError, closeRedisClient, type RedisClient } from './redis.client.js';
import {
  deliver,
  nothingToWrite,
  unlessUnavailable,
  parseSession,
  sessionDeadline,
  SessionStore,
  type StoredSession,
  withoutCookie,
} from './session-store.js';

const MAX_REMEMBERED_TOUCHES = 10_000;

// Keeps a user's index alive as long as its longest-lived session (PTTL -1: no expiry yet).
const EXTEND_INDEX = `
local function extend(key, deadline)
  local ttl = redis.call('PTTL', key)
  local now = redis.call('TIME')
  local nowMs = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
  if ttl < 0 or nowMs + ttl < tonumber(deadline) then redis.call('PEXPIREAT', key, deadline) end
end
`;

// KEYS: new session, user index, [previous session]. ARGV: data, deadline, now, sid.
const CREATE = `${EXTEND_INDEX}
if KEYS[3] then redis.call('DEL', KEYS[3]) end
redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
extend(KEYS[2], ARGV[2])
return 1
`;

// KEYS: session, user index. ARGV: data, deadline, now, sid. Only a live session (XX), and its
// index lives as long as it does.
const SET = `${EXTEND_INDEX}
if not redis.call('SET', KEYS[1], ARGV[1], 'XX', 'PXAT', ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
extend(KEYS[2], ARGV[2])
return 1
`;

// KEYS: old session, new session, renewal link, user index. ARGV: data, deadline, now, new sid, old sid.
const ROTATE = `${EXTEND_INDEX}
if redis.call('DEL', KEYS[1]) == 0 then return 0 end
redis.call('SET', KEYS[2], ARGV[1], 'PXAT', ARGV[2])
redis.call('SET', KEYS[3], ARGV[4], 'PXAT', ARGV[2])
redis.call('ZREM', KEYS[4], ARGV[5])
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[4])
extend(KEYS[4], ARGV[2])
return 1
`;

// KEYS: session, renewal link. ARGV: session key prefix, index key prefix, sid. The successor's
// key is known only inside the script, so this needs one Redis, not a Redis Cluster.
const DESTROY = `
local function drop(key, sid)
  local data = redis.call('GET', key)
  if not data then return end
  redis.call('DEL', key)
  local ok, session = pcall(cjson.decode, data)
  if ok and type(session) == 'table' and type(session.userId) == 'string' then
    redis.call('ZREM', ARGV[2] .. session.userId, sid)
  end
end
local successor = redis.call('GET', KEYS[2])
drop(KEYS[1], ARGV[3])
redis.call('DEL', KEYS[2])
if successor then drop(ARGV[1] .. successor, successor) end
return 1
`;

// KEYS: session, user index. ARGV: deadline, now, sid.
const TOUCH = `${EXTEND_INDEX}
if redis.call('PEXPIREAT', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], 'XX', ARGV[2], ARGV[3])
extend(KEYS[2], ARGV[1])
return 1
`;

// KEYS: user index. ARGV: session key prefix, sid to keep ('' for none).
const DESTROY_BY_USER = `
for _, sid in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if sid ~= ARGV[2] then
    redis.call('DEL', ARGV[1] .. sid)
    redis.call('ZREM', KEYS[1], sid)
  end
end
return 1
`;

/**
 * Sessions in Redis, for instances that share no database file. Reads go through connect-redis
 * (its key format, `{prefix}sess:{sid}`, JSON values, expiry by TTL); writes are Lua scripts,
 * because connect-redis's `set` would create a session that a logout has just ended, and the
 * {@link SessionStore} contract needs atomic renewal. Each user has an index, a sorted set of
 * their session ids scored by last activity, kept alive as long as their newest session.
 */
export class RedisSessionStore extends SessionStore {
  private readonly touchAfterMs: number;
  /** sid → when this process last refreshed its expiry. */
  private readonly touched = new Map<string, number>();
  private readonly written = new WeakMap<SessionData, string>();
  private readonly sessionPrefix: string;
  private readonly indexPrefix: string;
  private readonly renewedPrefix: string;
  private readonly circuit = new DependencyCircuit(
    'session store',
    (error) => error instanceof DependencyUnavailableError,
  );

  constructor(
    private readonly client: RedisClient,
    private readonly sessions: RedisStore,
    redis: RedisConfig,
    private readonly config: AppConfig,
  ) {
    super();
    this.touchAfterMs = Math.min(60_000, config.sessionIdleTimeoutMs / 10);
    this.sessionPrefix = sessions.prefix;
    this.indexPrefix = `${redis.prefix}user-sessions:`;
    this.renewedPrefix = `${redis.prefix}renewed:`;
  }

  override get(sid: string, callback: (error: unknown, session?: SessionData | null) => void): void {
    // Without a callback, connect-redis's get resolves with the parsed value or rejects.
    const read = this.guard(() => this.sessions.get(sid) as Promise<SessionData | null>).then(
      (session) => (session && typeof session.cookie === 'object' ? session : null),
      (error: unknown) => {
        // Its JSON.parse of a damaged value: no session, as parseSession has it.
        if (error instanceof SyntaxError) return null;
        throw error;
      },
    );
    deliver(read, callback);
  }

  /** Updates a live session; never creates one (see {@link SessionStore}). */
  override set(sid: string, session: SessionData, callback?: (error?: unknown) => void): void {
    if (this.written.get(session) === withoutCookie(session)) {
      nothingToWrite(callback);
      return;
    }
    const now = Date.now();
    const update = this.guard(() =>
      this.client.eval(SET, {
        keys: [this.sessionKey(sid), this.indexKey(session.userId)],
        arguments: [
          JSON.stringify(session),
          String(sessionDeadline(this.config, session, now)),
          String(now),
          sid,
        ],
      }),
    );
    deliver(update, callback);
  }

  /** Ends the session and the one that replaced it, if a renewal raced this (a logout wins). */
  override destroy(sid: string, callback?: (error?: unknown) => void): void {
    this.touched.delete(sid);
    const work = this.guard(() =>
      this.client.eval(DESTROY, {
        keys: [this.sessionKey(sid), this.renewedPrefix + sid],
        arguments: [this.sessionPrefix, this.indexPrefix, sid],
      }),
    );
    deliver(work, callback);
  }

  override touch(sid: string, session: SessionData, callback?: (error?: unknown) => void): void {
    const now = Date.now();
    const last = this.touched.get(sid);
    if (last !== undefined && now - last < this.touchAfterMs) {
      nothingToWrite(callback);
      return;
    }
    this.remember(sid, now);
    const work = this.guard(() =>
      this.client.eval(TOUCH, {
        keys: [this.sessionKey(sid), this.indexKey(session.userId)],
        arguments: [String(sessionDeadline(this.config, session, now)), String(now), sid],
      }),
    );
    deliver(work.catch(unlessUnavailable), callback);
  }

  /** Always true: Redis cannot see users. A session of a user deleted meanwhile is refused at use. */
  async create(sid: string, session: SessionData, replaces?: string): Promise<boolean> {
    const now = Date.now();
    const keys = [this.sessionKey(sid), this.indexKey(session.userId)];
    if (replaces !== undefined) keys.push(this.sessionKey(replaces));
    await this.guard(() =>
      this.client.eval(CREATE, {
        keys,
        arguments: [
          this.serialize(session),
          String(sessionDeadline(this.config, session, now)),
          String(now),
          sid,
        ],
      }),
    );
    this.remember(sid, now);
    return true;
  }

  async rotate(oldSid: string, newSid: string, session: SessionData): Promise<boolean> {
    this.touched.delete(oldSid);
    const now = Date.now();
    const rotated = await this.guard(() =>
      this.client.eval(ROTATE, {
        keys: [
          this.sessionKey(oldSid),
          this.sessionKey(newSid),
          this.renewedPrefix + oldSid,
          this.indexKey(session.userId),
        ],
        arguments: [
          this.serialize(session),
          String(sessionDeadline(this.config, session, now)),
          String(now),
          newSid,
          oldSid,
        ],
      }),
    );
    if (rotated !== 1) return false;
    this.remember(newSid, now);
    return true;
  }

  async listByUser(userId: string): Promise<StoredSession[]> {
    const index = this.indexKey(userId);
    const entries = await this.guard(() => this.client.zRangeWithScores(index, 0, -1));
    if (entries.length === 0) return [];
    const values = await this.guard(() =>
      this.client.mGet(entries.map(({ value }) => this.sessionKey(value))),
    );
    const live: StoredSession[] = [];
    const gone: string[] = [];
    entries.forEach(({ value: sid, score }, i) => {
      const session = values[i] === null ? null : parseSession(values[i]);
      if (session?.userId === userId) live.push({ sid, session, lastSeenAt: score });
      else gone.push(sid);
    });
    // Sessions that expired by TTL leave their id behind in the index; tidy it on the way.
    if (gone.length > 0) await this.guard(() => this.client.zRem(index, gone));
    return live;
  }

  async ping(): Promise<void> {
    await this.guard(() => this.client.ping());
  }

  async destroyByUser(userId: string, exceptSid?: string): Promise<void> {
    await this.guard(() =>
      this.client.eval(DESTROY_BY_USER, {
        keys: [this.indexKey(userId)],
        arguments: [this.sessionPrefix, exceptSid ?? ''],
      }),
    );
  }

  override async close(): Promise<void> {
    await closeRedisClient(this.client);
  }

  private serialize(session: SessionData): string {
    this.written.set(session, withoutCookie(session));
    return JSON.stringify(session);
  }

  private sessionKey(sid: string): string {
    return this.sessionPrefix + sid;
  }

  private indexKey(userId: string | undefined): string {
    return this.indexPrefix + (userId ?? '');
  }

  private remember(sid: string, at: number): void {
    // Only an optimisation: bounded, like the database store's memory of deadlines.
    if (this.touched.size >= MAX_REMEMBERED_TOUCHES) this.touched.clear();
    this.touched.set(sid, at);
  }

  /**
   * Runs `command` unless Redis is known to be down; its failure as the 503 it deserves. While
   * the circuit is open nothing is sent, so a frozen Redis does not collect commands to run later.
   */
  private guard<T>(command: () => Promise<T>): Promise<T> {
    return this.circuit.run(async () => {
      try {
        return await command();
      } catch (error) {
        throw asStoreError(error);
      }
    });
  }
}
