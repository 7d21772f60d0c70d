import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import type { Role } from '../../database/database.types.js';
import { Absent } from '../../common/safe-text.js';
import { IsPassword, IsRole, IsUserName } from './user-fields.js';

/** `PUT /api/users/:id`: the whole editable representation, which is the name. */
export class RenameUserDto {
  @IsUserName()
  name: string;
}

/** `PATCH /api/users/:id`: any subset of the changeable fields. */
export class UpdateUserDto {
  @IsUserName({ optional: true })
  name?: string;

  @IsPassword({ optional: true })
  password?: string;

  @ApiPropertyOptional({ format: 'password', description: 'Required to change your own password' })
  @Absent()
  @MaxLength(1024)
  @IsString()
  currentPassword?: string;

  @IsRole()
  role?: Role;
}
