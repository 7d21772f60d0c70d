import { jest } from '@jest/globals';
import BetterSqlite3 from 'better-sqlite3';
import { withStatementCache } from './statement-cache.js';

describe(withStatementCache.name, () => {
  let raw: BetterSqlite3.Database;
  /** The SQL of every statement SQLite was asked to prepare. */
  let prepares: () => string[];

  beforeEach(() => {
    raw = new BetterSqlite3(':memory:');
    raw.exec('create table t (n integer)');
    raw.exec('insert into t values (1), (2), (3)');
    const prepare = jest.spyOn(raw, 'prepare');
    prepares = () => prepare.mock.calls.map(([sql]) => sql);
  });

  afterEach(() => {
    if (raw.open) raw.close();
  });

  it('prepares each SQL text once and gives the same statement back, with new parameters each run', () => {
    const db = withStatementCache(raw);
    const first = db.prepare('select n from t where n > ?');
    const second = db.prepare('select n from t where n > ?');
    expect(second).toBe(first);
    expect(first.all([1])).toEqual([{ n: 2 }, { n: 3 }]);
    expect(second.all([2])).toEqual([{ n: 3 }]);
    expect(prepares()).toEqual(['select n from t where n > ?']);
  });

  it('keeps at most `size` statements, dropping the least recently used', () => {
    const db = withStatementCache(raw, 2);
    db.prepare('select 1');
    db.prepare('select 2');
    db.prepare('select 1'); // now the most recent
    db.prepare('select 3'); // drops "select 2"
    db.prepare('select 1');
    db.prepare('select 2');
    expect(prepares()).toEqual(['select 1', 'select 2', 'select 3', 'select 2']);
  });

  it('gives a statement still being iterated a fresh one, so a streamed query and another run do not collide', () => {
    const db = withStatementCache(raw);
    const sql = 'select n from t order by n';
    const streaming = db.prepare(sql);
    const rows = streaming.iterate([]);
    expect(rows.next().value).toEqual({ n: 1 });
    const other = db.prepare(sql);
    expect(other).not.toBe(streaming);
    expect(other.all([])).toHaveLength(3);
    expect([...rows]).toEqual([{ n: 2 }, { n: 3 }]);
    // Once the iteration is over, the cached statement is free again.
    expect(db.prepare(sql)).toBe(streaming);
  });

  it('keeps working when a migration changes the table under a cached statement', () => {
    const db = withStatementCache(raw);
    expect(db.prepare('select * from t where n = ?').all([1])).toEqual([{ n: 1 }]);
    raw.exec("alter table t add column label text default 'x'");
    expect(db.prepare('select * from t where n = ?').all([1])).toEqual([{ n: 1, label: 'x' }]);
  });

  it('refuses what SQLite refuses, and caches nothing for it', () => {
    const db = withStatementCache(raw);
    expect(() => db.prepare('select from nowhere')).toThrow();
    expect(() => db.prepare('select from nowhere')).toThrow();
    expect(prepares()).toHaveLength(2);
  });

  it('closes the database', () => {
    withStatementCache(raw).close();
    expect(raw.open).toBe(false);
  });
});
