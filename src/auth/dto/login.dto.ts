import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';

export class LoginDto {
  @ApiProperty({ example: '홍길동' })
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  name: string;

  @ApiProperty({ format: 'password', example: 'correct horse battery' })
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password: string;
}
