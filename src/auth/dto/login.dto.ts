import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';

export class LoginDto {
  @ApiProperty({ example: '홍길동' })
  @MinLength(1)
  @MaxLength(256)
  @IsString()
  name: string;

  @ApiProperty({ format: 'password', example: 'correct horse battery' })
  @MinLength(1)
  @MaxLength(1024)
  @IsString()
  password: string;
}
