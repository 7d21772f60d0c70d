import type { Type } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type as TransformTo } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** The longest page any list returns. */
export const MAX_PAGE_SIZE = 100;

// With stopAtFirstError the decorator nearest the property is checked first: type before range.

/** `?limit=&offset=` of every paginated list: whole numbers, `limit` 1–100 (20 unless given). */
export class PageQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: 20 })
  @IsOptional()
  @TransformTo(() => Number)
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  @IsInt({ message: 'limit must be a whole number' })
  limit: number = 20;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, default: 0 })
  @IsOptional()
  @TransformTo(() => Number)
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  @IsInt({ message: 'offset must be a whole number' })
  offset: number = 0;
}

/** One page of a list as the API returns it. */
export interface Page<T> {
  items: T[];
  /** Every item of the list, not just this page. */
  total: number;
  limit: number;
  offset: number;
}

/**
 * The OpenAPI schema of a page of `item`s, named `name` (`UserPage`): `@ApiOkResponse({ type:
 * PageResponse(NoteResponse, 'NotePage', 'notes') })`, and the handler returns a {@link Page}.
 */
export function PageResponse<T>(item: Type<T>, name: string, what: string): Type<Page<T>> {
  class PageOfItems implements Page<T> {
    @ApiProperty({ type: [item] })
    items!: T[];

    @ApiProperty({ type: 'integer', description: `All ${what}, not just this page` })
    total!: number;

    @ApiProperty({ type: 'integer' })
    limit!: number;

    @ApiProperty({ type: 'integer' })
    offset!: number;
  }
  Object.defineProperty(PageOfItems, 'name', { value: name });
  return PageOfItems;
}
