import { createTestApp, logIn, signUp, type TestApp } from './utils/test-app.js';

const TOKEN = 'e2e-metrics-token-0123456789';
const AUTH = `Bearer ${TOKEN}`;

/** The value of one sample line, e.g. `http_requests_total{method="GET",...}`, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('Metrics on the app port (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ METRICS_TOKEN: TOKEN });
  });

  afterAll(async () => {
    await t.close();
  });

  async function scrape(): Promise<string> {
    const res = await t.agent().get('/metrics').set('Authorization', AUTH).expect(200);
    return res.text;
  }

  it('asks for the token: 401 without it or with another, in the usual error shape', async () => {
    const without = await t.agent().get('/metrics').expect(401);
    expect(without.get('WWW-Authenticate')).toBe('Bearer realm="metrics"');
    expect(without.body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'A valid metrics token is required',
    });
    await t.agent().get('/metrics').set('Authorization', 'Bearer another-token-0123456789').expect(401);
    await t.agent().get('/metrics').set('Authorization', TOKEN).expect(401);
  });

  it('serves the Prometheus text format with the token, never cached', async () => {
    const res = await t.agent().get('/metrics').set('Authorization', AUTH).expect(200);

    // Express moves the charset to the end; Prometheus reads the parameters in any order.
    expect(res.get('Content-Type')).toMatch(/^text\/plain; .*version=0\.0\.4/);
    expect(res.get('Cache-Control')).toBe('no-store');
    expect(res.text).toContain('# TYPE http_requests_total counter');
    expect(res.text).toContain('# TYPE http_request_duration_seconds histogram');
    expect(res.text).toContain('# TYPE session_store_duration_seconds histogram');
    expect(res.text).toContain('process_resident_memory_bytes');
    expect(res.text).toContain('nodejs_eventloop_lag_seconds');
  });

  it('counts requests by route pattern and status, and leaves the scrapes out', async () => {
    const agent = t.agent();
    await signUp(agent, 'metrics-admin');
    await logIn(agent, 'metrics-admin');
    const { body } = await agent.get('/api/auth/me').expect(200);
    for (let i = 0; i < 5; i++) await agent.get(`/api/users/${(body as { id: string }).id}`).expect(200);
    await agent.get('/api/users/00000000-0000-4000-8000-000000000000').expect(404);
    await t.agent().get('/no/such/page').expect(404);
    await t.agent().get('/api/no/such/thing').expect(404);
    await scrape();

    const text = await scrape();
    const byId = 'method="GET",route="/api/users/:id"';
    expect(sample(text, `http_requests_total{${byId},status="200"}`)).toBe(5);
    expect(sample(text, `http_requests_total{${byId},status="404"}`)).toBe(1);
    expect(sample(text, `http_request_duration_seconds_count{${byId},status="200"}`)).toBe(5);
    expect(sample(text, 'http_requests_total{method="POST",route="/api/auth/login",status="200"}')).toBe(1);
    expect(sample(text, 'http_requests_total{method="GET",route="(unmatched)",status="404"}')).toBe(2);
    expect(text).not.toContain('route="/metrics"');
    expect(text).not.toMatch(/no\/such|\*path/);
    // The 401s of the first test were refused scrapes: also left out.
    expect(text).not.toMatch(/status="401"/);
  });

  it('times the session store by operation', async () => {
    const text = await scrape();

    expect(sample(text, 'session_store_duration_seconds_count{operation="create"}')).toBeGreaterThanOrEqual(
      1,
    );
    expect(sample(text, 'session_store_duration_seconds_count{operation="get"}')).toBeGreaterThanOrEqual(6);
  });

  it('never touches the session store, even for a scrape that carries a session cookie', async () => {
    const agent = t.agent();
    await signUp(agent, 'metrics-user');
    await logIn(agent, 'metrics-user');
    const reads = (text: string) => sample(text, 'session_store_duration_seconds_count{operation="get"}');
    const before = reads((await agent.get('/metrics').set('Authorization', AUTH).expect(200)).text);
    for (let i = 0; i < 3; i++) await agent.get('/metrics').set('Authorization', AUTH).expect(200);

    expect(reads((await agent.get('/metrics').set('Authorization', AUTH).expect(200)).text)).toBe(before);
  });

  it('is not in the OpenAPI document', async () => {
    const { body } = await t.agent().get('/docs-json').expect(200);

    expect(Object.keys((body as { paths: object }).paths)).not.toContain('/metrics');
  });

  it('is not rate-limited', async () => {
    for (let i = 0; i < 50; i++) await t.agent().get('/metrics').set('Authorization', AUTH).expect(200);
  });
});

describe('Metrics by default (e2e)', () => {
  it('are not served at all without METRICS_TOKEN or METRICS_PORT', async () => {
    const t = await createTestApp();
    try {
      await t.agent().get('/metrics').expect(404);
      await t.agent().get('/metrics').set('Authorization', AUTH).expect(404);
    } finally {
      await t.close();
    }
  });

  it('are not on the app port when METRICS_PORT is set (main.ts serves that port)', async () => {
    const t = await createTestApp({ METRICS_PORT: '0', METRICS_TOKEN: TOKEN });
    try {
      await t.agent().get('/metrics').set('Authorization', AUTH).expect(404);
    } finally {
      await t.close();
    }
  });
});
