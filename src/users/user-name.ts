/** The stored form of a name: NFC-normalised and trimmed, so what is shown is what was meant. */
export function normalizeName(name: string): string {
  return name.normalize('NFC').trim();
}

/** What uniqueness is decided on: names differing only by normalisation or case collide. */
export function nameKey(name: string): string {
  return normalizeName(name).toLowerCase().normalize('NFC');
}

/** Counts code points, so a Korean syllable or an emoji is one character, as a person counts. */
export function characterCount(value: string): number {
  return Array.from(value).length;
}

// Control characters, line/paragraph separators and bidi overrides, which can disguise a name.
const FORBIDDEN = /[\p{Cc}\p{Zl}\p{Zp}\u202A-\u202E\u2066-\u2069]/u;
// A lone UTF-16 surrogate is no character: stored as UTF-8 it would silently become U+FFFD.
const LONE_SURROGATE = /\p{Cs}/u;

/** Why `name` is not acceptable, or undefined when it is. Expects a normalised name. */
export function userNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'must be a string';
  const length = characterCount(name);
  if (length < 1) return 'must not be empty';
  if (length > 64) return `must be at most 64 characters long (got ${length})`;
  if (FORBIDDEN.test(name)) return 'must not contain control characters';
  if (LONE_SURROGATE.test(name)) return 'must be valid Unicode (no lone surrogates)';
  return undefined;
}
