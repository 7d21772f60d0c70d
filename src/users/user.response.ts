import { ApiProperty } from '@nestjs/swagger';
import { PageResponse } from '../common/pagination.js';
import type { Role } from '../database/database.types.js';
import type { User } from './user.js';
import { ROLES } from './dto/user-fields.js';

export class UserResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: '홍길동' })
  name: string;

  @ApiProperty({ enum: ROLES })
  role: Role;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export const UserPage = PageResponse(UserResponse, 'UserPage', 'users');

/** The only way a user leaves the server: field by field, so a hash can never slip out. */
export function toUserResponse(user: User): UserResponse {
  return {
    id: user.id,
    name: user.name,
    role: user.role,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
  };
}
