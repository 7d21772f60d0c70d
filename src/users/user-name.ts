import { normalizeText, textProblem } from '../common/safe-text.js';

const MAX_NAME_LENGTH = 64;

/** The stored form of a name: NFC-normalised and trimmed, so what is shown is what was meant. */
export const normalizeName = normalizeText;

/** What uniqueness is decided on: names differing only by normalisation or case collide. */
export function nameKey(name: string): string {
  return normalizeName(name).toLowerCase().normalize('NFC');
}

/** Why `name` is not acceptable, or undefined when it is: safe text of 1–64 characters. */
export function userNameProblem(name: unknown): string | undefined {
  return textProblem(name, { max: MAX_NAME_LENGTH });
}
