import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Whether an `Authorization` header carries `Bearer <token>`, compared in constant time: digests
 * first, because timingSafeEqual needs equal lengths and the length must not leak either.
 */
export function bearerTokenMatches(authorization: string | undefined, token: string): boolean {
  const match = /^Bearer +(\S+) *$/i.exec(authorization ?? '');
  return match !== null && timingSafeEqual(digest(match[1]), digest(token));
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** What a 401 says about how to authenticate (RFC 6750). */
export const BEARER_CHALLENGE = 'Bearer realm="metrics"';
