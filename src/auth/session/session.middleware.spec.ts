import { newSessionId } from './session.middleware.js';

describe(newSessionId.name, () => {
  it('makes 10 000 different ids of 256 random bits each', () => {
    const ids = Array.from({ length: 10_000 }, newSessionId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) {
      expect(id).toMatch(/^[\w-]{43}$/);
      expect(Buffer.from(id, 'base64url')).toHaveLength(32);
    }
  });

  it('uses every base64url character, as random bytes would', () => {
    const seen = new Set(Array.from({ length: 200 }, newSessionId).join(''));
    expect(seen.size).toBe(64);
  });
});
