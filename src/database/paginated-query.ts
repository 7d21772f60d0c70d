import type { Kysely, SelectQueryBuilder } from 'kysely';
import { preparedQuery } from './prepared-query.js';

export interface PageRequest {
  limit: number;
  offset: number;
}

export interface PaginatedQuery<DB, P, O> {
  /** One page of the list, and how long the whole list is; the two queries run side by side. */
  page(values: P, page: PageRequest, executor?: Kysely<DB>): Promise<{ items: O[]; total: number }>;
}

/**
 * A paginated list, built and compiled once (see {@link preparedQuery}, whose rules `list`
 * follows): `list(params)` is the whole list, ordered by something unique (add the id last), so
 * that pages neither repeat nor skip a row. The count is the same query without its order.
 */
export function paginatedQuery<DB, P extends Record<string, unknown>, O>(
  db: Kysely<DB>,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any tables of DB
  list: (params: P) => SelectQueryBuilder<DB, any, O>,
): PaginatedQuery<DB, P, O> {
  const items = preparedQuery(db, (p: P & PageRequest) => list(p).limit(p.limit).offset(p.offset));
  const count = preparedQuery(
    db,
    (p: P) =>
      list(p)
        .clearSelect()
        .clearOrderBy()
        .select((eb) => eb.fn.countAll<number>().as('total')) as unknown as SelectQueryBuilder<
        DB,
        never,
        { total: number | string }
      >,
  );
  return {
    async page(values, { limit, offset }, executor) {
      const [rows, [counted]] = await Promise.all([
        items.execute({ ...values, limit, offset }, executor),
        count.execute(values, executor),
      ]);
      return { items: rows, total: Number(counted.total) };
    },
  };
}
