import { bearerTokenMatches } from './metrics-token.js';

const TOKEN = 'a-metrics-token-0123456789';

describe(bearerTokenMatches.name, () => {
  it('accepts the token as a bearer token, the scheme in any case', () => {
    expect(bearerTokenMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerTokenMatches(`bearer ${TOKEN}`, TOKEN)).toBe(true);
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['another token', 'Bearer another-token-0123456789'],
    ['a prefix of the token', `Bearer ${TOKEN.slice(0, -1)}`],
    ['the token with more after it', `Bearer ${TOKEN}x`],
    ['the token without the scheme', TOKEN],
    ['another scheme', `Basic ${TOKEN}`],
    ['two tokens', `Bearer ${TOKEN} ${TOKEN}`],
  ])('refuses %s', (_what, header) => {
    expect(bearerTokenMatches(header, TOKEN)).toBe(false);
  });
});
