import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { characterCount, IsSafeText, normalizeText, textProblem } from './safe-text.js';

describe('safe text', () => {
  describe(textProblem.name, () => {
    it.each([
      ['a NUL, which PostgreSQL text refuses', 'a\u0000b', 'must not contain control characters'],
      ['a line break in single-line text', 'a\nb', 'must not contain control characters'],
      ['a bidi override', 'abc\u202Edef', 'must not contain control characters'],
      ['a lone surrogate', 'a\uD800b', 'must be valid Unicode (no lone surrogates)'],
      ['nothing', '', 'must not be empty'],
      ['too much', '가'.repeat(11), 'must be at most 10 characters long (got 11)'],
      ['no string', 42, 'must be a string'],
    ])('refuses %s', (_what, value, problem) => {
      expect(textProblem(value, { max: 10 })).toBe(problem);
    });

    it('counts code points: ten Korean syllables or emoji fit in ten', () => {
      expect(textProblem('한국어한국어한국어한', { max: 10 })).toBeUndefined();
      expect(textProblem('😀'.repeat(10), { max: 10 })).toBeUndefined();
      expect(characterCount('😀')).toBe(1);
    });

    it('keeps line breaks and tabs in multi-line text, and nothing else of the control characters', () => {
      expect(textProblem('first\r\nsecond\tcolumn', { max: 100, multiline: true })).toBeUndefined();
      expect(textProblem('first\u0000', { max: 100, multiline: true })).toBe(
        'must not contain control characters',
      );
    });

    it('takes a minimum', () => {
      expect(textProblem('ab', { min: 3, max: 10 })).toBe('must be at least 3 characters long (got 2)');
    });
  });

  it('normalises to NFC and trims', () => {
    expect(normalizeText('  e\u0301 ')).toBe('\u00e9');
  });

  describe(IsSafeText.name, () => {
    class Note {
      @IsSafeText({ max: 5 })
      title!: string;

      @IsSafeText({ max: 20, multiline: true, optional: true })
      body?: string;
    }

    async function problems(input: object): Promise<string[]> {
      const note = plainToInstance(Note, input);
      return (await validate(note)).flatMap((e) => Object.values(e.constraints ?? {}));
    }

    it('normalises before it checks, and names the field', async () => {
      expect(await problems({ title: '  e\u0301  ' })).toEqual([]);
      expect(plainToInstance(Note, { title: '  e\u0301  ' }).title).toBe('\u00e9');
      expect(await problems({ title: 'a\u0000' })).toEqual(['title must not contain control characters']);
    });

    it('lets an optional field be left out, never be null', async () => {
      expect(await problems({ title: 'ok' })).toEqual([]);
      expect(await problems({ title: 'ok', body: null })).toEqual(['body must be a string']);
      expect(await problems({ title: 'ok', body: 'line one\nline two' })).toEqual([]);
    });
  });
});
