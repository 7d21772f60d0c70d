import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, ValidateBy, ValidateIf } from 'class-validator';
import type { Role } from '../../database/database.types.js';
import { characterCount, normalizeName, userNameProblem } from '../user-name.js';

export const ROLES: readonly Role[] = ['admin', 'user'];

/** Skips validation only when the field is absent; unlike IsOptional, `null` is still checked (and refused). */
export const Absent = () => ValidateIf((_object: unknown, value: unknown) => value !== undefined);

/** A user name: normalised and trimmed first, then 1–64 characters with no control characters. */
export function IsUserName(options: { optional?: boolean } = {}): PropertyDecorator {
  const doc = {
    description: 'Unique, compared ignoring case and Unicode normalisation; trimmed',
    example: '홍길동',
    minLength: 1,
    maxLength: 64,
  };
  return applyDecorators(
    options.optional ? ApiPropertyOptional(doc) : ApiProperty(doc),
    ...(options.optional ? [Absent()] : []),
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? normalizeName(value) : value)),
    ValidateBy({
      name: 'isUserName',
      validator: {
        validate: (value) => userNameProblem(value) === undefined,
        defaultMessage: (args) => `${args?.property} ${userNameProblem(args?.value)}`,
      },
    }),
  );
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
