import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, ValidateBy } from 'class-validator';
import { Absent, characterCount, IsSafeText } from '../../common/safe-text.js';
import type { Role } from '../../database/database.types.js';

export const ROLES: readonly Role[] = ['admin', 'user'];

/** A user name: safe text (see common/safe-text.ts) of 1–64 characters, normalised and trimmed first. */
export function IsUserName(options: { optional?: boolean } = {}): PropertyDecorator {
  return IsSafeText({
    max: 64,
    optional: options.optional,
    description: 'Unique, compared ignoring case and Unicode normalisation; trimmed',
    example: '홍길동',
  });
}

/** A password: 8–256 characters of any script, kept exactly as typed (never trimmed or cut). */
export function IsPassword(options: { optional?: boolean } = {}): PropertyDecorator {
  const doc = { format: 'password', minLength: 8, maxLength: 256, example: 'correct horse battery' };
  return applyDecorators(
    options.optional ? ApiPropertyOptional(doc) : ApiProperty(doc),
    ...(options.optional ? [Absent()] : []),
    ValidateBy({
      name: 'isPassword',
      validator: {
        // Counted as hashed (NFC), so the same password passes whatever form the keyboard sent.
        validate: (value) =>
          typeof value === 'string' && isPasswordLength(characterCount(value.normalize('NFC'))),
        defaultMessage: (args) =>
          typeof args?.value === 'string'
            ? `${args.property} must be 8 to 256 characters long`
            : `${args?.property} must be a string`,
      },
    }),
  );
}

function isPasswordLength(length: number): boolean {
  return length >= 8 && length <= 256;
}

export function IsRole(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ enum: ROLES, description: 'Only an admin may set it' }),
    Absent(),
    IsIn(ROLES, { message: `role must be one of: ${ROLES.join(', ')}` }),
  );
}
