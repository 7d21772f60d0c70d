import type { SessionData } from 'express-session';
import { Histogram, Registry } from 'prom-client';
import { SessionStore, type StoredSession } from './session-store.js';
import { timeSessionStore } from './session-store.timing.js';

const SESSION = { cookie: {} } as SessionData;

/** A store answering at once; `failing` makes every operation fail. */
class FakeStore extends SessionStore {
  failing = false;

  override get(_sid: string, callback: (error: unknown, session?: SessionData | null) => void): void {
    setImmediate(() => (this.failing ? callback(new Error('down')) : callback(null, SESSION)));
  }
  override set(_sid: string, _session: SessionData, callback?: (error?: unknown) => void): void {
    setImmediate(() => callback?.(this.failing ? new Error('down') : undefined));
  }
  override destroy(_sid: string, callback?: (error?: unknown) => void): void {
    setImmediate(() => callback?.());
  }
  override touch(_sid: string, _session: SessionData, callback?: (error?: unknown) => void): void {
    setImmediate(() => callback?.());
  }
  create(_sid: string, _session: SessionData): Promise<boolean> {
    return this.failing ? Promise.reject(new Error('down')) : Promise.resolve(true);
  }
  rotate(_oldSid: string, _newSid: string, _session: SessionData): Promise<boolean> {
    return Promise.resolve(false);
  }
  listByUser(_userId: string): Promise<StoredSession[]> {
    return Promise.resolve([]);
  }
  ping(): Promise<void> {
    return Promise.resolve();
  }
  destroyByUser(_userId: string): Promise<void> {
    return Promise.resolve();
  }
}

describe(timeSessionStore.name, () => {
  let registry: Registry;
  let store: FakeStore;

  async function counts(): Promise<Record<string, number>> {
    const metric = (await registry.getMetricsAsJSON()).find(
      (m) => m.name === 'session_store_duration_seconds',
    )!;
    return Object.fromEntries(
      metric.values
        .filter((v) => (v as { metricName?: string }).metricName === 'session_store_duration_seconds_count')
        .map((v) => [v.labels.operation as string, v.value]),
    );
  }

  /** express-session's callback methods, as promises. */
  function call(operation: 'get' | 'set' | 'touch' | 'destroy' | 'load'): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const done = (error: unknown, result?: unknown) =>
        error instanceof Error ? reject(error) : resolve(result);
      if (operation === 'set' || operation === 'touch') store[operation]('sid', SESSION, done);
      else store[operation]('sid', done);
    });
  }

  beforeEach(() => {
    registry = new Registry();
    const histogram = new Histogram({
      name: 'session_store_duration_seconds',
      help: 'test',
      labelNames: ['operation'],
      registers: [registry],
    });
    store = timeSessionStore(new FakeStore(), histogram);
  });

  it('times every operation under its own name, and passes results through', async () => {
    expect(await call('get')).toBe(SESSION);
    await call('set');
    await call('touch');
    await call('destroy');
    expect(await store.create('sid', SESSION)).toBe(true);
    expect(await store.rotate('sid', 'new', SESSION)).toBe(false);
    expect(await store.listByUser('user')).toEqual([]);
    await store.destroyByUser('user');

    expect(await counts()).toEqual({
      get: 1,
      set: 1,
      touch: 1,
      destroy: 1,
      create: 1,
      rotate: 1,
      listByUser: 1,
      destroyByUser: 1,
    });
  });

  it('times failures too, and hands the errors on', async () => {
    store.failing = true;

    await expect(call('get')).rejects.toThrow('down');
    await expect(store.create('sid', SESSION)).rejects.toThrow('down');
    expect(await counts()).toEqual({ get: 1, create: 1 });
  });

  it('times a write whose caller passed no callback', async () => {
    store.set('sid', SESSION);
    await new Promise((resolve) => setImmediate(resolve));

    expect(await counts()).toEqual({ set: 1 });
  });

  it("goes through express-session's own helpers on the store", async () => {
    expect(await call('load')).toBeDefined();
    expect(await counts()).toEqual({ get: 1 });
  });
});
