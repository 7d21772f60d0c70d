import { ApiProperty } from '@nestjs/swagger';

export class SessionResponse {
  @ApiProperty({
    description: 'A handle for DELETE /api/auth/sessions/{id}; never the session id itself',
    example: 'pQ3xq0n2V7hK1Yc9dE4rTw',
  })
  id: string;

  @ApiProperty({ format: 'date-time', description: 'When this login happened' })
  createdAt: string;

  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'The last request, to within a minute',
  })
  lastSeenAt: string | null;

  @ApiProperty({ nullable: true, type: String, example: 'Mozilla/5.0 (X11; Linux x86_64) …' })
  userAgent: string | null;

  @ApiProperty({ description: 'Whether this is the session making the request' })
  current: boolean;
}
