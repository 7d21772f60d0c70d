import { jest } from '@jest/globals';
import type { Request, Response } from 'express';
import type { SessionData } from 'express-session';
import { AppConfig, loadConfig } from '../config/configuration.js';
import type { SessionStore, StoredSession } from './session-store.js';
import { SessionService, sessionHandle } from './session.service.js';

type Callback = (error?: unknown) => void;

const NOW = 1_767_225_600_000;
const HOUR = 60 * 60_000;
const ABSOLUTE_MS = 12 * HOUR;
const COOKIE_OPTIONS = { httpOnly: true, sameSite: 'lax', path: '/', secure: false };

/** Just enough of express-session's `req.session`; `id` and `req` stay out of its data, as there. */
const USER_1 = { id: 'user-1', sessionVersion: 2 };

class FakeSession {
  declare userId?: string;
  declare authenticatedAt?: number;
  declare userAgent?: string;
  readonly cookie: { originalMaxAge: number; maxAge: number; expires?: Date } = {
    originalMaxAge: ABSOLUTE_MS,
    maxAge: ABSOLUTE_MS,
  };
  readonly #req: FakeRequest;
  readonly #id: string;

  constructor(req: FakeRequest) {
    this.#req = req;
    this.#id = req.sessionID;
  }

  /** Like express-session: the request loses its session at once, the store once it is done. */
  destroy(callback: (error?: Error) => void): void {
    delete this.#req.session;
    this.#req.sessionStore.destroy(this.#id, callback as Callback);
  }
}

/** The session store, with the `generate` express-session adds to it. */
class FakeStore {
  readonly create = jest.fn((_sid: string, _session: SessionData, _replaces?: string) =>
    Promise.resolve(true),
  );
  readonly rotate = jest.fn((_oldSid: string, _newSid: string, _session: SessionData) =>
    Promise.resolve(true),
  );
  readonly listByUser = jest.fn((_userId: string) => Promise.resolve<StoredSession[]>([]));
  readonly destroyByUser = jest.fn((_userId: string, _exceptSid?: string) => Promise.resolve());
  /** Sids whose destroy has completed. */
  readonly destroyed: string[] = [];
  destroyFailure?: Error;
  private generated = 0;

  generate(req: FakeRequest): void {
    req.sessionID = `sid-${++this.generated}`;
    req.session = new FakeSession(req);
  }

  destroy(sid: string, callback?: Callback): void {
    setImmediate(() => {
      if (!this.destroyFailure) this.destroyed.push(sid);
      callback?.(this.destroyFailure);
    });
  }
}

class FakeRequest {
  session?: FakeSession;
  sessionID = '';
  secure = false;

  constructor(
    readonly sessionStore: FakeStore,
    private readonly headers: Record<string, string> = {},
  ) {}

  get(name: string): string | undefined {
    return this.headers[name.toLowerCase()];
  }

  asRequest(): Request {
    return this as unknown as Request;
  }
}

function fakeResponse() {
  const res = { clearCookie: jest.fn() };
  return { res, response: res as unknown as Response };
}

function storedSession(sid: string, session: Partial<SessionData>, lastSeenAt: number | null = null) {
  return { sid, session: { cookie: {}, ...session } as SessionData, lastSeenAt };
}

describe(SessionService.name, () => {
  let store: FakeStore;
  let config: AppConfig;
  let sessions: SessionService;

  /** A request without a session cookie: express-session gives it a fresh, unsaved session. */
  function anonymous(headers: Record<string, string> = {}): FakeRequest {
    const req = new FakeRequest(store, headers);
    store.generate(req);
    return req;
  }

  function loggedIn(fields: Partial<SessionData> = {}): FakeRequest {
    const req = anonymous();
    Object.assign(req.session!, { userId: 'user-1', authenticatedAt: NOW - 2 * HOUR, ...fields });
    return req;
  }

  beforeEach(() => {
    store = new FakeStore();
    config = loadConfig({ SESSION_SECRET: 'session-service-spec-secret', SESSION_ABSOLUTE_TIMEOUT: '12h' });
    sessions = new SessionService(store as unknown as SessionStore, config);
    jest.spyOn(Date, 'now').mockReturnValue(NOW);
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  describe('start', () => {
    it('stores a new session for the user under a new id, replacing the previous one', async () => {
      const req = anonymous({ 'user-agent': 'Firefox' });
      const previous = req.sessionID;

      await sessions.start(req.asRequest(), USER_1);

      expect(req.sessionID).not.toBe(previous);
      expect({ ...req.session }).toEqual({
        cookie: expect.any(Object),
        userId: 'user-1',
        sessionVersion: 2,
        authenticatedAt: NOW,
        userAgent: 'Firefox',
      });
      expect(store.create.mock.calls).toEqual([[req.sessionID, req.session, previous]]);
      expect(store.create.mock.calls[0][1]).toBe(req.session);
    });

    it('carries nothing over from the previous session', async () => {
      const req = loggedIn({ userId: 'someone-before', userAgent: 'Old browser' });

      await sessions.start(req.asRequest(), USER_1);

      expect({ ...req.session }).toEqual({
        cookie: expect.any(Object),
        userId: 'user-1',
        sessionVersion: 2,
        authenticatedAt: NOW,
      });
    });

    it('cuts the user agent to 256 characters', async () => {
      const req = anonymous({ 'user-agent': 'x'.repeat(300) });

      await sessions.start(req.asRequest(), USER_1);

      expect(req.session?.userAgent).toBe('x'.repeat(256));
    });

    it('replaces nothing when the request has no session', async () => {
      const req = new FakeRequest(store);

      await sessions.start(req.asRequest(), USER_1);

      expect(store.create.mock.calls).toEqual([[req.sessionID, req.session, undefined]]);
    });

    it('returns false and keeps no session when the user was deleted meanwhile', async () => {
      const req = anonymous();
      store.create.mockResolvedValue(false);

      await expect(sessions.start(req.asRequest(), USER_1)).resolves.toBe(false);

      expect(req.session).toBeUndefined();
    });

    it('rejects with the error of the store, leaving the request no session to send a cookie for', async () => {
      const failure = new Error('store down');
      store.create.mockRejectedValue(failure);
      const req = anonymous();

      await expect(sessions.start(req.asRequest(), USER_1)).rejects.toBe(failure);

      // express-session sets a cookie, and saves, only for a request that still has a session.
      expect(req.session).toBeUndefined();
      expect(req.sessionID).toBeUndefined();
    });
  });

  describe('renew', () => {
    it("moves the session to a new id, keeping its data but taking the user's new session version", async () => {
      const req = loggedIn({ userAgent: 'Firefox' });
      const previous = { sid: req.sessionID, cookie: req.session!.cookie };

      await expect(sessions.renew(req.asRequest(), 3)).resolves.toBe(true);

      expect(req.sessionID).not.toBe(previous.sid);
      expect(req.session?.cookie).not.toBe(previous.cookie);
      expect({ ...req.session }).toEqual({
        cookie: expect.any(Object),
        userId: 'user-1',
        authenticatedAt: NOW - 2 * HOUR,
        userAgent: 'Firefox',
        sessionVersion: 3,
      });
      expect(store.rotate.mock.calls).toEqual([[previous.sid, req.sessionID, req.session]]);
      expect(store.create).not.toHaveBeenCalled();
    });

    it('lets the cookie live only until the absolute timeout since the login', async () => {
      const req = loggedIn({ authenticatedAt: NOW - 2 * HOUR });

      await sessions.renew(req.asRequest(), 3);

      // Through expires, which express-session's own touch() keeps (it resets maxAge).
      expect(req.session?.cookie.expires).toEqual(new Date(NOW - 2 * HOUR + ABSOLUTE_MS));
    });

    it('returns false and drops the session when the old one has ended meanwhile', async () => {
      const req = loggedIn();
      store.rotate.mockResolvedValue(false);

      await expect(sessions.renew(req.asRequest(), 3)).resolves.toBe(false);

      expect(req.session).toBeUndefined();
      expect(store.destroyed).toEqual([store.rotate.mock.calls[0][1]]);
    });

    it('rejects with the error of the store, sending no cookie for the id never stored', async () => {
      const failure = new Error('store down');
      store.rotate.mockRejectedValue(failure);
      const req = loggedIn();

      await expect(sessions.renew(req.asRequest(), 3)).rejects.toBe(failure);

      expect(req.session).toBeUndefined();
      expect(req.sessionID).toBeUndefined();
      expect(store.destroyed).toEqual([]);
    });
  });

  describe('drop', () => {
    it('destroys the session and does nothing else', async () => {
      const req = loggedIn();
      const sid = req.sessionID;

      await sessions.drop(req.asRequest());

      expect(req.session).toBeUndefined();
      expect(store.destroyed).toEqual([sid]);
      expect(store.create).not.toHaveBeenCalled();
    });

    it('does nothing when the request has no session', async () => {
      await expect(sessions.drop(new FakeRequest(store).asRequest())).resolves.toBeUndefined();

      expect(store.destroyed).toEqual([]);
    });

    it('rejects with the error of destroy', async () => {
      const failure = new Error('store down');
      store.destroyFailure = failure;

      await expect(sessions.drop(loggedIn().asRequest())).rejects.toBe(failure);
    });
  });

  describe('end', () => {
    it('destroys the session and clears the sid cookie', async () => {
      const req = loggedIn();
      const sid = req.sessionID;
      const { res, response } = fakeResponse();

      await sessions.end(req.asRequest(), response);

      expect(store.destroyed).toEqual([sid]);
      expect(res.clearCookie).toHaveBeenCalledTimes(1);
      expect(res.clearCookie).toHaveBeenCalledWith('sid', COOKIE_OPTIONS);
    });

    it('clears the cookie only once the session is destroyed', async () => {
      const req = loggedIn();
      const sid = req.sessionID;
      const { res, response } = fakeResponse();
      res.clearCookie.mockImplementation(() => expect(store.destroyed).toEqual([sid]));

      await sessions.end(req.asRequest(), response);

      expect(res.clearCookie).toHaveBeenCalledTimes(1);
    });

    it('still clears the cookie when the request has no session', async () => {
      const { res, response } = fakeResponse();

      await sessions.end(new FakeRequest(store).asRequest(), response);

      expect(store.destroyed).toEqual([]);
      expect(res.clearCookie).toHaveBeenCalledWith('sid', COOKIE_OPTIONS);
    });

    it('clears the cookie with secure set when a trusted proxy says the request was HTTPS', async () => {
      const req = loggedIn();
      req.secure = true;
      const { res, response } = fakeResponse();

      await sessions.end(req.asRequest(), response);

      expect(res.clearCookie).toHaveBeenCalledWith('sid', { ...COOKIE_OPTIONS, secure: true });
    });

    it('clears the __Host- cookie with secure set when cookies are secure', async () => {
      const { production: _production, secureCookies: _secureCookies, ...values } = config;
      const secure = new SessionService(
        store as unknown as SessionStore,
        AppConfig.from({ ...values, protocol: 'https' }),
      );
      const { res, response } = fakeResponse();

      await secure.end(loggedIn().asRequest(), response);

      expect(res.clearCookie).toHaveBeenCalledWith('__Host-sid', { ...COOKIE_OPTIONS, secure: true });
    });

    it('rejects with the error of destroy, and leaves the cookie', async () => {
      const { res, response } = fakeResponse();
      const failure = new Error('store down');
      store.destroyFailure = failure;

      await expect(sessions.end(loggedIn().asRequest(), response)).rejects.toBe(failure);
      expect(res.clearCookie).not.toHaveBeenCalled();
    });
  });

  describe('list', () => {
    it("lists the user's sessions by handle, newest login first, marking the request's own", async () => {
      const req = loggedIn();
      store.listByUser.mockResolvedValue([
        storedSession('older', { authenticatedAt: NOW - 3 * HOUR, userAgent: 'Firefox' }, NOW - 60_000),
        storedSession(req.sessionID, { authenticatedAt: NOW - 2 * HOUR }),
      ]);

      await expect(sessions.list(req.asRequest(), 'user-1')).resolves.toEqual([
        {
          id: sessionHandle(req.sessionID),
          createdAt: new Date(NOW - 2 * HOUR).toISOString(),
          lastSeenAt: null,
          userAgent: null,
          current: true,
        },
        {
          id: sessionHandle('older'),
          createdAt: new Date(NOW - 3 * HOUR).toISOString(),
          lastSeenAt: new Date(NOW - 60_000).toISOString(),
          userAgent: 'Firefox',
          current: false,
        },
      ]);
      expect(store.listByUser.mock.calls).toEqual([['user-1']]);
    });

    it('returns an empty list when the user has no sessions', async () => {
      await expect(sessions.list(loggedIn().asRequest(), 'user-1')).resolves.toEqual([]);
    });

    it('rejects with the error of the store', async () => {
      const failure = new Error('store down');
      store.listByUser.mockRejectedValue(failure);

      await expect(sessions.list(loggedIn().asRequest(), 'user-1')).rejects.toBe(failure);
    });
  });

  describe('endByHandle', () => {
    let req: FakeRequest;
    let current: string;

    beforeEach(() => {
      req = loggedIn();
      current = req.sessionID;
      store.listByUser.mockResolvedValue([storedSession(current, {}), storedSession('other', {})]);
    });

    it("ends another of the user's sessions and leaves the request's own", async () => {
      const { res, response } = fakeResponse();

      await expect(
        sessions.endByHandle(req.asRequest(), response, 'user-1', sessionHandle('other')),
      ).resolves.toBe(true);

      expect(store.listByUser.mock.calls).toEqual([['user-1']]);
      expect(store.destroyed).toEqual(['other']);
      expect(req.session).toBeDefined();
      expect(res.clearCookie).not.toHaveBeenCalled();
    });

    it("ends the request's own session and clears its cookie when the handle is its own", async () => {
      const { res, response } = fakeResponse();

      await expect(
        sessions.endByHandle(req.asRequest(), response, 'user-1', sessionHandle(current)),
      ).resolves.toBe(true);

      expect(store.destroyed).toEqual([current]);
      expect(req.session).toBeUndefined();
      expect(res.clearCookie).toHaveBeenCalledWith('sid', COOKIE_OPTIONS);
    });

    it.each([
      ['a handle of none of their sessions', sessionHandle('someone-elses')],
      ['the session id itself', 'other'],
    ])('returns false and ends nothing when given %s', async (_case, handle) => {
      const { res, response } = fakeResponse();

      await expect(sessions.endByHandle(req.asRequest(), response, 'user-1', handle)).resolves.toBe(false);

      expect(store.destroyed).toEqual([]);
      expect(res.clearCookie).not.toHaveBeenCalled();
    });

    it('rejects with the error of the store', async () => {
      const failure = new Error('store down');
      store.destroyFailure = failure;

      await expect(
        sessions.endByHandle(req.asRequest(), fakeResponse().response, 'user-1', sessionHandle('other')),
      ).rejects.toBe(failure);
    });
  });

  describe('endOthers', () => {
    it("destroys the user's sessions except the request's own", async () => {
      const req = loggedIn();

      await sessions.endOthers(req.asRequest(), 'user-1');

      expect(store.destroyByUser.mock.calls).toEqual([['user-1', req.sessionID]]);
      expect(req.session).toBeDefined();
    });

    it('rejects with the error of the store', async () => {
      const failure = new Error('store down');
      store.destroyByUser.mockRejectedValue(failure);

      await expect(sessions.endOthers(loggedIn().asRequest(), 'user-1')).rejects.toBe(failure);
    });
  });

  describe('endAll', () => {
    it('destroys every session of the user, sparing none', async () => {
      await sessions.endAll('user-1');

      expect(store.destroyByUser).toHaveBeenCalledTimes(1);
      expect(store.destroyByUser.mock.calls[0][0]).toBe('user-1');
      expect(store.destroyByUser.mock.calls[0][1]).toBeUndefined();
    });

    it('rejects with the error of the store', async () => {
      const failure = new Error('store down');
      store.destroyByUser.mockRejectedValue(failure);

      await expect(sessions.endAll('user-1')).rejects.toBe(failure);
    });
  });
});

describe(sessionHandle.name, () => {
  it('stays the same for the same sid and differs between sids', () => {
    expect(sessionHandle('sid-1')).toBe(sessionHandle('sid-1'));
    expect(sessionHandle('sid-1')).not.toBe(sessionHandle('sid-2'));
  });

  it('is 22 base64url characters that do not contain the sid', () => {
    const sid = 'x'.repeat(43);

    expect(sessionHandle(sid)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(sessionHandle(sid)).not.toContain(sid.slice(0, 8));
  });
});
