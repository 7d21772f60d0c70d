import { ApiProperty } from '@nestjs/swagger';
import { UserResponse } from '../../users/user.response.js';

export class AuthStatus {
  @ApiProperty({ type: UserResponse, nullable: true, description: 'The logged-in user, or null' })
  user: UserResponse | null;

  @ApiProperty({ description: 'Whether an anonymous visitor may sign up now' })
  signUpOpen: boolean;
}
