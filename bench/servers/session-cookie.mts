import { createHmac, timingSafeEqual } from 'node:crypto';

/** The raw value of cookie `name` in a Cookie header, URL-decoded; undefined when absent. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const equals = part.indexOf('=');
    if (equals < 0 || part.slice(0, equals).trim() !== name) continue;
    const raw = part.slice(equals + 1).trim();
    try {
      return raw.includes('%') ? decodeURIComponent(raw) : raw;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * The session id in express-session's signed cookie value, `s:<sid>.<signature>`, where the
 * signature is cookie-signature's: base64 HMAC-SHA256 of the sid with its `=` padding removed.
 * Any of `secrets` may have signed it (rotation); undefined when none did.
 */
export function unsignSessionId(value: string | undefined, secrets: readonly string[]): string | undefined {
  if (!value?.startsWith('s:')) return undefined;
  const signed = value.slice(2);
  const dot = signed.lastIndexOf('.');
  if (dot < 0) return undefined;
  const sid = signed.slice(0, dot);
  const given = Buffer.from(signed);
  for (const secret of secrets) {
    const expected = Buffer.from(
      `${sid}.${createHmac('sha256', secret).update(sid).digest('base64').replace(/=+$/, '')}`,
    );
    if (expected.length === given.length && timingSafeEqual(expected, given)) return sid;
  }
  return undefined;
}
