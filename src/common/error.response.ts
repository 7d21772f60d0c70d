import { ApiProperty } from '@nestjs/swagger';

/** Every error body has this shape (Nest's own). */
export class ErrorResponse {
  @ApiProperty({ example: 400 })
  statusCode: number;

  @ApiProperty({ example: 'Bad Request' })
  error: string;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: ['name must not be empty'],
  })
  message: string | string[];
}
