import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ValidateBy, ValidateIf } from 'class-validator';

/**
 * Text a person typed, made safe to store and show, for every text field of every module:
 * PostgreSQL's `text` refuses NUL (a 500 unless refused here), a lone UTF-16 surrogate would be
 * stored as U+FFFD without a word, and control, line-separator and bidi-override characters can
 * disguise a value or split a log line. Lengths count code points, as a person counts: a Korean
 * syllable or an emoji is one character.
 */

/** Counts code points, so a Korean syllable or an emoji is one character. */
export function characterCount(value: string): number {
  return Array.from(value).length;
}

/** NFC, trimmed: what is shown is what was meant, and equal-looking values are equal. */
export function normalizeText(value: string): string {
  return value.normalize('NFC').trim();
}

// Control characters (NUL among them), line/paragraph separators and bidi overrides.
const CONTROL = /[\p{Cc}\p{Zl}\p{Zp}\u202A-\u202E\u2066-\u2069]/u;
// What multi-line text keeps of them.
const LINE_BREAKS_AND_TABS = /[\r\n\t]/g;
const LONE_SURROGATE = /\p{Cs}/u;

export interface TextRules {
  /** Fewest characters (code points); 1 unless said. */
  min?: number;
  /** Most characters (code points). */
  max: number;
  /** Allows line breaks and tabs (a note's body, not a name). */
  multiline?: boolean;
}

/** Why `value` is not acceptable text, or undefined when it is. Expects normalised text. */
export function textProblem(
  value: unknown,
  { min = 1, max, multiline = false }: TextRules,
): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  const length = characterCount(value);
  if (length < min)
    return min === 1 ? 'must not be empty' : `must be at least ${min} characters long (got ${length})`;
  if (length > max) return `must be at most ${max} characters long (got ${length})`;
  if (CONTROL.test(multiline ? value.replace(LINE_BREAKS_AND_TABS, '') : value))
    return 'must not contain control characters';
  if (LONE_SURROGATE.test(value)) return 'must be valid Unicode (no lone surrogates)';
  return undefined;
}

/** Skips validation only when the field is absent; unlike IsOptional, `null` is still checked (and refused). */
export const Absent = () => ValidateIf((_object: unknown, value: unknown) => value !== undefined);

/**
 * A text field of a request body: normalised (NFC, trimmed), then checked by {@link textProblem},
 * and documented with its limits. `optional`: may be left out, never sent as null.
 */
export function IsSafeText(
  rules: TextRules & { optional?: boolean; description?: string; example?: string },
): PropertyDecorator {
  const { optional = false, description, example, ...limits } = rules;
  const doc = { description, example, minLength: limits.min ?? 1, maxLength: limits.max };
  return applyDecorators(
    optional ? ApiPropertyOptional(doc) : ApiProperty(doc),
    ...(optional ? [Absent()] : []),
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? normalizeText(value) : value)),
    ValidateBy({
      name: 'isSafeText',
      validator: {
        validate: (value) => textProblem(value, limits) === undefined,
        defaultMessage: (args) => `${args?.property} ${textProblem(args?.value, limits)}`,
      },
    }),
  );
}
