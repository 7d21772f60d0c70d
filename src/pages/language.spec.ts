import type { Request } from 'express';
import { pageLanguage } from './language.js';

function request(headers: Record<string, string>): Request {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    get: (name: string) => lower[name.toLowerCase()],
    acceptsLanguages: (...languages: string[]) => {
      const wanted = lower['accept-language'];
      if (wanted === undefined) return languages[0];
      return languages.find((l) => wanted.split(',').some((w) => w.trim().startsWith(l))) ?? false;
    },
  } as unknown as Request;
}

describe(pageLanguage.name, () => {
  it.each([
    [
      'the saved choice over Accept-Language',
      { Cookie: 'theme=dark; lang=ko', 'Accept-Language': 'en' },
      'ko',
    ],
    ['Accept-Language when nothing is saved', { 'Accept-Language': 'ko-KR' }, 'ko'],
    ['English when nothing is stated', {}, 'en'],
    ['English for languages it does not have', { 'Accept-Language': 'fr' }, 'en'],
    [
      'Accept-Language when the saved value is not a language it has',
      { Cookie: 'lang=fr', 'Accept-Language': 'ko' },
      'ko',
    ],
    ['nothing from a cookie that only ends in lang', { Cookie: 'xlang=ko', 'Accept-Language': 'en' }, 'en'],
  ])('takes %s', (_, headers, expected) => {
    expect(pageLanguage(request(headers))).toBe(expected);
  });
});
