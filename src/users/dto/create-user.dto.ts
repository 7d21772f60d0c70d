import type { Role } from '../../database/database.types.js';
import { IsPassword, IsRole, IsUserName } from './user-fields.js';

export class CreateUserDto {
  @IsUserName()
  name: string;

  @IsPassword()
  password: string;

  @IsRole()
  role?: Role;
}
