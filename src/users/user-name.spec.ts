import { characterCount } from '../common/safe-text.js';
import { nameKey, normalizeName, userNameProblem } from './user-name.js';

describe('user names', () => {
  describe(normalizeName.name, () => {
    it('composes a decomposed accent into one code point', () => {
      expect(normalizeName('e\u0301')).toBe('\u00e9');
    });

    it('trims surrounding whitespace but keeps inner spaces and case', () => {
      expect(normalizeName('  Jean Luc\t\n')).toBe('Jean Luc');
    });

    it('composes decomposed Hangul jamo into syllables', () => {
      expect(normalizeName('\u1112\u1169\u11BC')).toBe('홍');
    });
  });

  describe(nameKey.name, () => {
    it('makes names that differ only in case and normalisation collide', () => {
      expect(nameKey('ÉMILE')).toBe(nameKey('e\u0301mile'));
    });

    it('is lower-case NFC', () => {
      expect(nameKey(' E\u0301MILE ')).toBe('\u00e9mile');
    });

    it('keeps different names apart', () => {
      expect(nameKey('emile')).not.toBe(nameKey('émile'));
    });
  });

  describe(characterCount.name, () => {
    it.each([
      ['홍길동', 3],
      ['👍', 1],
      ['a👍b', 3],
      ['', 0],
    ])('counts %j as %i characters', (value, count) => {
      expect(characterCount(value)).toBe(count);
    });
  });

  describe(userNameProblem.name, () => {
    it.each(['alice', '홍길동', 'Émile Zola', 'a', '가'.repeat(64), 'x'.repeat(64), '👍'.repeat(64)])(
      'accepts %j',
      (name) => {
        expect(userNameProblem(name)).toBeUndefined();
      },
    );

    it('rejects an empty name', () => {
      expect(userNameProblem('')).toBe('must not be empty');
    });

    it('rejects 65 characters and reports the length', () => {
      expect(userNameProblem('x'.repeat(65))).toBe('must be at most 64 characters long (got 65)');
    });

    it('rejects 65 Korean characters', () => {
      expect(userNameProblem('가'.repeat(65))).toMatch(/at most 64/);
    });

    it.each([
      ['a bell', 'bad\u0007name'],
      ['a NUL', 'bad\u0000name'],
      ['a newline', 'bad\nname'],
      ['a DEL', 'bad\u007fname'],
      ['a line separator', 'bad\u2028name'],
      ['a paragraph separator', 'bad\u2029name'],
      ['a right-to-left override', 'evil\u202Egnp.exe'],
      ['a left-to-right embedding', 'bad\u202Aname'],
      ['a first-strong isolate', 'bad\u2068name'],
    ])('rejects %s', (_label, name) => {
      expect(userNameProblem(name)).toBe('must not contain control characters');
    });

    it.each([
      ['a lone high surrogate', 'x\uD83Dy'],
      ['a lone low surrogate', 'x\uDE00y'],
      ['a pair in the wrong order', '\uDE00\uD83D'],
    ])('rejects %s, which UTF-8 storage would turn into U+FFFD', (_label, name) => {
      expect(userNameProblem(name)).toBe('must be valid Unicode (no lone surrogates)');
    });

    it.each([undefined, null, 42, ['alice'], { name: 'alice' }])('rejects the non-string %j', (value) => {
      expect(userNameProblem(value)).toBe('must be a string');
    });
  });
});
