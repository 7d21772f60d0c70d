import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, MaxLength, MinLength } from 'class-validator';

export class LoginDto {
  @ApiProperty({ example: '홍길동' })
  @MinLength(1)
  @MaxLength(256)
  @Matches(/^\P{Cc}*$/u, { message: 'name must not contain control characters' })
  @IsString()
  name: string;

  @ApiProperty({ format: 'password', example: 'correct horse battery' })
  @MinLength(1)
  @MaxLength(1024)
  @IsString()
  password: string;
}
