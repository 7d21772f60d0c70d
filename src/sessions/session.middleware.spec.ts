import express from 'express';
import { MemoryStore, type SessionData } from 'express-session';
import request from 'supertest';
import { loadConfig } from '../config/configuration.js';
import { createSessionMiddleware, newSessionId } from './session.middleware.js';

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

describe(createSessionMiddleware.name, () => {
  /** express-session's own memory store, made to fail its reads on demand (a store timing out). */
  class FlakyStore extends MemoryStore {
    failing = false;
    readonly destroyed: string[] = [];
    readonly written: string[] = [];

    override get(sid: string, callback: (error: unknown, session?: SessionData | null) => void): void {
      if (this.failing) process.nextTick(() => callback(new Error('no answer in time')));
      else super.get(sid, callback);
    }

    override set(sid: string, session: SessionData, callback?: (error?: unknown) => void): void {
      this.written.push(sid);
      super.set(sid, session, callback);
    }

    override destroy(sid: string, callback?: (error?: unknown) => void): void {
      this.destroyed.push(sid);
      super.destroy(sid, callback);
    }
  }

  function app(store: FlakyStore) {
    const config = loadConfig({ NODE_ENV: 'test', SESSION_SECRET: 'a-secret-for-this-spec-only' });
    const server = express();
    server.use(createSessionMiddleware(config, store));
    server.post('/login', (req, res) => {
      req.session.userId = 'user-1';
      res.sendStatus(204);
    });
    server.get('/me', (req, res) => {
      res.json({ userId: req.session.userId ?? null });
    });
    server.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(503).json({ message: error.message });
    });
    return server;
  }

  it('neither destroys nor writes a session it could not read: it is there once the store answers', async () => {
    const store = new FlakyStore();
    const agent = request.agent(app(store));
    await agent.post('/login').expect(204);
    expect(store.written).toHaveLength(1);
    store.written.length = 0;

    store.failing = true;
    await agent.get('/me').expect(503);
    await agent.get('/me').expect(503);
    expect(store.destroyed).toEqual([]);
    expect(store.written).toEqual([]);

    store.failing = false;
    await agent.get('/me').expect(200, { userId: 'user-1' });
    expect(store.destroyed).toEqual([]);
  });
});
