import express from 'express';
import session from 'express-session';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { cookieValue, unsignSessionId } from './session-cookie.mts';

/** A session cookie as express-session itself signs it, with the session id it stands for. */
async function realCookie(secret: string): Promise<{ value: string; sid: string }> {
  const app = express();
  app.use(session({ name: 'sid', secret, resave: false, saveUninitialized: true }));
  app.get('/', (req, res) => res.send(req.sessionID));
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const value = /^sid=([^;]+)/.exec(response.headers.get('set-cookie') ?? '')?.[1];
    assert.ok(value, 'express-session set no cookie');
    return { value, sid: await response.text() };
  } finally {
    server.close();
  }
}

describe('unsignSessionId', () => {
  it("accepts express-session's own cookie, signed by any of the secrets", async () => {
    const { value, sid } = await realCookie('the current secret');
    const cookie = cookieValue(`lang=ko; sid=${value}; other=1`, 'sid');
    assert.equal(unsignSessionId(cookie, ['the current secret']), sid);
    assert.equal(unsignSessionId(cookie, ['a newer secret', 'the current secret']), sid);
  });

  it('refuses a wrong secret, a changed id or signature, and an unsigned value', async () => {
    const { value, sid } = await realCookie('the current secret');
    const cookie = cookieValue(`sid=${value}`, 'sid')!;
    assert.equal(unsignSessionId(cookie, ['another secret']), undefined);
    const changeLast = (text: string) => `${text.slice(0, -1)}${text.endsWith('A') ? 'B' : 'A'}`;
    assert.equal(unsignSessionId(cookie.replace(sid, changeLast(sid)), ['the current secret']), undefined);
    assert.equal(unsignSessionId(changeLast(cookie), ['the current secret']), undefined);
    assert.equal(unsignSessionId(sid, ['the current secret']), undefined);
    assert.equal(unsignSessionId(undefined, ['the current secret']), undefined);
  });
});

describe('cookieValue', () => {
  it('finds one cookie by exact name and URL-decodes it', () => {
    assert.equal(cookieValue('xsid=1; sid=s%3Aabc.def', 'sid'), 's:abc.def');
    assert.equal(cookieValue('a=1', 'sid'), undefined);
    assert.equal(cookieValue('sid=%E0%A4%A', 'sid'), undefined);
    assert.equal(cookieValue(undefined, 'sid'), undefined);
  });
});
