import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { DependencyUnavailableError } from '../common/dependency-unavailable.error.js';
import { guardedPool } from './database.factory.js';

/** Just enough of a pg pool: each client answers as `answer` says and records how it was released. */
function fakePool(answer: () => Promise<unknown>) {
  const released: boolean[] = [];
  let connects = 0;
  const pool = {
    options: {},
    end: () => Promise.resolve(),
    connect: () => {
      connects++;
      return Promise.resolve({
        query: () => answer(),
        release: (destroy?: boolean) => released.push(destroy === true),
      } as unknown as PoolClient);
    },
  } as unknown as Pool;
  return { pool: guardedPool(pool), released, connects: () => connects };
}

const timeout = () => Promise.reject(new Error('Query read timeout'));

describe(guardedPool.name, () => {
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });

  afterEach(() => jest.restoreAllMocks());

  it('hands a connection back for reuse after its queries answered', async () => {
    const { pool, released } = fakePool(() => Promise.resolve({ rows: [], rowCount: 0, command: 'SELECT' }));
    const client = await pool.connect();
    await client.query('select 1', []);
    client.release();

    expect(released).toEqual([false]);
  });

  it('closes a connection whose query timed out, so no later request finds what it left behind', async () => {
    const { pool, released } = fakePool(timeout);
    const client = await pool.connect();
    await expect(client.query('begin', [])).rejects.toThrow('Query read timeout');
    client.release();

    expect(released).toEqual([true]);
  });

  it('sends nothing more on a connection whose query timed out: the rollback gets its 503 at once', async () => {
    let queries = 0;
    const { pool, released } = fakePool(() => {
      queries++;
      return timeout();
    });
    const client = await pool.connect();
    await expect(client.query('delete from sessions', [])).rejects.toThrow('Query read timeout');
    await expect(client.query('rollback', [])).rejects.toBeInstanceOf(DependencyUnavailableError);
    client.release(true);

    expect({ queries, released }).toEqual({ queries: 1, released: [true] });
  });

  it('still closes a connection when Kysely asks it to', async () => {
    const { pool, released } = fakePool(() => Promise.resolve({ rows: [], rowCount: 0, command: 'SELECT' }));
    const client = await pool.connect();
    await client.query('rollback', []);
    client.release(true);

    expect(released).toEqual([true]);
  });

  it('takes a connection from the pool only for a query, and one for all of them', async () => {
    const { pool, released, connects } = fakePool(() =>
      Promise.resolve({ rows: [], rowCount: 0, command: 'SELECT' }),
    );
    (await pool.connect()).release();
    const client = await pool.connect();
    await client.query('begin', []);
    await client.query('commit', []);
    client.release();

    expect(connects()).toBe(1);
    expect(released).toEqual([false]);
  });

  it('stops taking connections once PostgreSQL is known not to answer: a 503 at once', async () => {
    const { pool, connects } = fakePool(timeout);
    for (let i = 0; i < 3; i++) {
      const client = await pool.connect();
      await client.query('select 1', []).catch(() => undefined);
      client.release();
    }

    const error = await (await pool.connect()).query('select 1', []).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect((error as DependencyUnavailableError).dependency).toBe('database');
    expect(connects()).toBe(3);
  });
});
