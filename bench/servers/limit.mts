// The "limit" reference server: scenario 2's work with nothing else — node:http and
// better-sqlite3, no framework. Reads the product's SQLite file and verifies its session cookies.
//   DATABASE_FILE=data/app.db SESSION_SECRET=... PORT=3001 node bench/servers/limit.mts
import Database from 'better-sqlite3';
import { createServer, type ServerResponse } from 'node:http';
import { cookieValue, unsignSessionId } from './session-cookie.mts';

const secrets = (process.env.SESSION_SECRET ?? '')
  .split(',')
  .map((secret) => secret.trim())
  .filter((secret) => secret !== '');
if (secrets.length === 0 || !process.env.DATABASE_FILE) {
  console.error('DATABASE_FILE and SESSION_SECRET are required');
  process.exit(1);
}
const ABSOLUTE_TIMEOUT_MS = Number(process.env.SESSION_ABSOLUTE_TIMEOUT_MS ?? 12 * 3_600_000);

const db = new Database(process.env.DATABASE_FILE, { fileMustExist: true, timeout: 5000 });
const sessionRow = db.prepare<[string, number], { data: string }>(
  'select data from sessions where sid = ? and expires_at > ?',
);
const userRow = db.prepare<[string], { sessionVersion: number }>(
  'select session_version as sessionVersion from users where id = ?',
);
const page = db.prepare<[number, number]>(
  'select id, name, role, created_at as createdAt, updated_at as updatedAt from users ' +
    'order by created_at, id limit ? offset ?',
);
const count = db.prepare<[], number>('select count(*) from users').pluck();

interface Session {
  userId?: string;
  authenticatedAt?: number;
  sessionVersion?: number;
}

/** The session's user id when the cookie is validly signed and its session alive, as the product decides. */
function loggedInUser(cookieHeader: string | undefined): string | undefined {
  const sid = unsignSessionId(cookieValue(cookieHeader, 'sid'), secrets);
  if (sid === undefined) return undefined;
  const now = Date.now();
  const row = sessionRow.get(sid, now);
  if (!row) return undefined;
  const { userId, authenticatedAt = 0, sessionVersion = 0 } = JSON.parse(row.data) as Session;
  if (!userId || now - authenticatedAt > ABSOLUTE_TIMEOUT_MS) return undefined;
  return userRow.get(userId)?.sessionVersion === sessionVersion ? userId : undefined;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(json),
    'Cache-Control': 'no-store',
  });
  res.end(json);
}

/** A whole number in [min, max], `fallback` when absent; undefined when invalid. */
function integer(raw: string | null, fallback: number, min: number, max: number): number | undefined {
  if (raw === null) return fallback;
  const value = Number(raw);
  return raw.trim() !== '' && Number.isInteger(value) && value >= min && value <= max ? value : undefined;
}

const server = createServer((req, res) => {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  if (req.method === 'GET' && path === '/health/live') return send(res, 200, { status: 'ok' });
  if (req.method !== 'GET' || path !== '/api/users') {
    return send(res, 404, { statusCode: 404, error: 'Not Found', message: 'Not Found' });
  }
  if (!loggedInUser(req.headers.cookie)) {
    return send(res, 401, { statusCode: 401, error: 'Unauthorized', message: 'You are not logged in' });
  }
  const params = new URLSearchParams(query < 0 ? '' : url.slice(query + 1));
  const limit = integer(params.get('limit'), 20, 1, 100);
  const offset = integer(params.get('offset'), 0, 0, Number.MAX_SAFE_INTEGER);
  if (limit === undefined || offset === undefined) {
    return send(res, 400, { statusCode: 400, error: 'Bad Request', message: ['invalid limit or offset'] });
  }
  send(res, 200, { items: page.all(limit, offset), total: count.get(), limit, offset });
});

server.listen(Number(process.env.PORT ?? 3001), process.env.HOST ?? '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  console.log(`Listening on http://127.0.0.1:${port} (pid ${process.pid})`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
