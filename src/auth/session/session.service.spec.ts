import type { Request, Response } from 'express';
import { AppConfig, loadConfig } from '../../config/configuration';
import { SessionService } from './session.service';
import type { SessionStore } from './session-store';

type Callback = (error?: Error) => void;
type Method = 'regenerate' | 'save' | 'destroy';

/** Just enough of express-session's `req.session`: records calls, and regenerate swaps in a new one. */
class FakeSession {
  userId?: string;
  authenticatedAt?: number;

  constructor(
    private readonly req: FakeRequest,
    readonly id: string,
  ) {}

  regenerate(callback: Callback): void {
    this.req.record('regenerate', this);
    // Like express-session: once the store is done, a new, empty session under a new id replaces this one.
    this.req.finish('regenerate', callback, () => {
      this.req.session = new FakeSession(this.req, `sid-${++this.req.generation}`);
      this.req.sessionID = this.req.session.id;
    });
  }

  save(callback: Callback): void {
    this.req.record('save', this);
    this.req.finish('save', callback);
  }

  destroy(callback: Callback): void {
    this.req.record('destroy', this);
    this.req.finish('destroy', callback, () => {
      this.req.session = undefined;
    });
  }
}

class FakeRequest {
  session?: FakeSession;
  sessionID = 'sid-0';
  generation = 0;
  readonly failing = new Map<Method, Error>();
  /** Each call with the session it was made on and what that session held at the time. */
  readonly calls: Array<{ method: Method; id: string; userId?: string; authenticatedAt?: number }> = [];

  constructor(withSession = true) {
    if (withSession) this.session = new FakeSession(this, this.sessionID);
  }

  record(method: Method, session: FakeSession): void {
    this.calls.push({
      method,
      id: session.id,
      userId: session.userId,
      authenticatedAt: session.authenticatedAt,
    });
  }

  /** Completes asynchronously, like a real store: `effect` and then `callback`, or the planned failure. */
  finish(method: Method, callback: Callback, effect?: () => void): void {
    setImmediate(() => {
      const failure = this.failing.get(method);
      if (!failure) effect?.();
      callback(failure);
    });
  }

  methods(): Method[] {
    return this.calls.map((c) => c.method);
  }

  asRequest(): Request {
    return this as unknown as Request;
  }
}

function fakeResponse() {
  const res = { clearCookie: jest.fn() };
  return { res, response: res as unknown as Response };
}

describe(SessionService.name, () => {
  const NOW = 1_767_225_600_000;
  let store: { destroyByUser: jest.Mock<Promise<void>, [string, string?]> };
  let config: AppConfig;
  let sessions: SessionService;

  beforeEach(() => {
    store = { destroyByUser: jest.fn((_userId: string, _exceptSid?: string) => Promise.resolve()) };
    config = loadConfig({ SESSION_SECRET: 'session-service-spec-secret' });
    sessions = new SessionService(store as unknown as SessionStore, config);
    jest.spyOn(Date, 'now').mockReturnValue(NOW);
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  describe('start', () => {
    it('regenerates, then sets userId and authenticatedAt on the new session and saves it', async () => {
      const req = new FakeRequest();
      req.session!.userId = 'someone-before';

      await sessions.start(req.asRequest(), 'user-1');

      expect(req.calls).toEqual([
        { method: 'regenerate', id: 'sid-0', userId: 'someone-before', authenticatedAt: undefined },
        { method: 'save', id: 'sid-1', userId: 'user-1', authenticatedAt: NOW },
      ]);
      expect(req.session).toMatchObject({ id: 'sid-1', userId: 'user-1', authenticatedAt: NOW });
    });

    it('rejects with the error of regenerate, and neither sets nor saves', async () => {
      const req = new FakeRequest();
      const failure = new Error('store down');
      req.failing.set('regenerate', failure);

      await expect(sessions.start(req.asRequest(), 'user-1')).rejects.toBe(failure);
      expect(req.methods()).toEqual(['regenerate']);
      expect(req.session?.userId).toBeUndefined();
    });

    it('rejects with the error of save', async () => {
      const req = new FakeRequest();
      const failure = new Error('disk full');
      req.failing.set('save', failure);

      await expect(sessions.start(req.asRequest(), 'user-1')).rejects.toBe(failure);
      expect(req.methods()).toEqual(['regenerate', 'save']);
    });
  });

  describe('drop', () => {
    it('regenerates the session and does nothing else', async () => {
      const req = new FakeRequest();
      req.session!.userId = 'user-1';

      await sessions.drop(req.asRequest());

      expect(req.methods()).toEqual(['regenerate']);
      expect(req.session).toBeDefined();
      expect(req.session?.userId).toBeUndefined();
      expect(req.sessionID).not.toBe('sid-0');
    });

    it('does nothing when the request has no session', async () => {
      const req = new FakeRequest(false);

      await expect(sessions.drop(req.asRequest())).resolves.toBeUndefined();
      expect(req.calls).toEqual([]);
    });

    it('rejects with the error of regenerate', async () => {
      const req = new FakeRequest();
      const failure = new Error('store down');
      req.failing.set('regenerate', failure);

      await expect(sessions.drop(req.asRequest())).rejects.toBe(failure);
    });
  });

  describe('end', () => {
    const COOKIE_OPTIONS = { httpOnly: true, sameSite: 'lax', path: '/', secure: false };

    it('destroys the session and clears the sid cookie', async () => {
      const req = new FakeRequest();
      const { res, response } = fakeResponse();

      await sessions.end(req.asRequest(), response);

      expect(req.methods()).toEqual(['destroy']);
      expect(res.clearCookie).toHaveBeenCalledTimes(1);
      expect(res.clearCookie).toHaveBeenCalledWith('sid', COOKIE_OPTIONS);
    });

    it('clears the cookie only once the session is destroyed', async () => {
      const req = new FakeRequest();
      const { res, response } = fakeResponse();
      res.clearCookie.mockImplementation(() => expect(req.session).toBeUndefined());

      await sessions.end(req.asRequest(), response);

      expect(res.clearCookie).toHaveBeenCalledTimes(1);
    });

    it('still clears the cookie when the request has no session', async () => {
      const req = new FakeRequest(false);
      const { res, response } = fakeResponse();

      await sessions.end(req.asRequest(), response);

      expect(req.calls).toEqual([]);
      expect(res.clearCookie).toHaveBeenCalledWith('sid', COOKIE_OPTIONS);
    });

    it('clears the __Host- cookie with secure set when cookies are secure', async () => {
      const { production: _production, secureCookies: _secureCookies, ...values } = config;
      const secure = new SessionService(
        store as unknown as SessionStore,
        AppConfig.from({ ...values, protocol: 'https' }),
      );
      const { res, response } = fakeResponse();

      await secure.end(new FakeRequest().asRequest(), response);

      expect(res.clearCookie).toHaveBeenCalledWith('__Host-sid', { ...COOKIE_OPTIONS, secure: true });
    });

    it('rejects with the error of destroy, and leaves the cookie', async () => {
      const req = new FakeRequest();
      const { res, response } = fakeResponse();
      const failure = new Error('store down');
      req.failing.set('destroy', failure);

      await expect(sessions.end(req.asRequest(), response)).rejects.toBe(failure);
      expect(res.clearCookie).not.toHaveBeenCalled();
    });
  });

  describe('endOthers', () => {
    it("destroys the user's sessions except the request's own", async () => {
      const req = new FakeRequest();
      req.sessionID = 'current-sid';

      await sessions.endOthers(req.asRequest(), 'user-1');

      expect(store.destroyByUser.mock.calls).toEqual([['user-1', 'current-sid']]);
      expect(req.calls).toEqual([]);
    });

    it('rejects with the error of the store', async () => {
      const failure = new Error('store down');
      store.destroyByUser.mockRejectedValue(failure);

      await expect(sessions.endOthers(new FakeRequest().asRequest(), 'user-1')).rejects.toBe(failure);
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
