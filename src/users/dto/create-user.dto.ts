import type { Role } from '../../database/database.types';
import { IsPassword, IsRole, IsUserName } from './user-fields';

export class CreateUserDto {
  @IsUserName()
  name: string;

  @IsPassword()
  password: string;

  @IsRole()
  role?: Role;
}
