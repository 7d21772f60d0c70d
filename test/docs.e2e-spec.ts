import { createTestApp, type TestApp } from './utils/test-app.js';

interface OpenApi {
  openapi: string;
  paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
  components: {
    schemas: Record<string, { properties: Record<string, unknown>; required?: string[] }>;
    securitySchemes: Record<string, unknown>;
  };
}

describe('Swagger / OpenAPI (e2e)', () => {
  let t: TestApp;
  let doc: OpenApi;

  beforeAll(async () => {
    t = await createTestApp();
    doc = (await t.agent().get('/docs-json').expect(200).expect('Content-Type', /json/)).body as OpenApi;
  });

  afterAll(async () => {
    await t.close();
  });

  it('serves Swagger UI at /docs', async () => {
    const res = await t.agent().get('/docs').expect(200).expect('Content-Type', /html/);
    expect(res.text).toContain('swagger-ui');
  });

  it('describes every endpoint with its methods', () => {
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths['/api/users']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/api/users/{id}']).sort()).toEqual(['delete', 'get', 'patch', 'put']);
    expect(Object.keys(doc.paths['/api/auth/login'])).toEqual(['post']);
    expect(Object.keys(doc.paths['/api/auth/logout'])).toEqual(['post']);
    expect(Object.keys(doc.paths['/api/auth/me'])).toEqual(['get']);
    expect(Object.keys(doc.paths['/api/auth/status'])).toEqual(['get']);
    expect(Object.keys(doc.paths['/api/auth/sessions']).sort()).toEqual(['delete', 'get']);
    expect(Object.keys(doc.paths['/api/auth/sessions/{id}'])).toEqual(['delete']);
    // Pages are not API: only the health checks live outside /api.
    expect(Object.keys(doc.paths).filter((path) => !path.startsWith('/api/'))).toEqual([
      '/health/live',
      '/health/ready',
    ]);
  });

  it('documents the cookie auth and the status codes', () => {
    expect(doc.components.securitySchemes.cookie).toEqual({ type: 'apiKey', in: 'cookie', name: 'sid' });
    expect(doc.paths['/api/auth/me'].get.security).toEqual([{ cookie: [] }]);
    expect(Object.keys(doc.paths['/api/users'].post.responses).sort()).toEqual([
      '201',
      '400',
      '403',
      '409',
      '429',
    ]);
    expect(doc.paths['/api/users'].post.security).toBeUndefined();
    expect(doc.paths['/api/users'].get.security).toEqual([{ cookie: [] }]);
    expect(doc.paths['/api/auth/login'].post.security).toBeUndefined();
    expect(Object.keys(doc.paths['/api/users/{id}'].delete.responses).sort()).toEqual([
      '204',
      '400',
      '401',
      '403',
      '404',
      '409',
    ]);
  });

  it('documents the DTOs and never a password hash', () => {
    const { CreateUserDto, UserResponse, UpdateUserDto } = doc.components.schemas;
    expect(Object.keys(CreateUserDto.properties).sort()).toEqual(['name', 'password', 'role']);
    expect(CreateUserDto.required?.sort()).toEqual(['name', 'password']);
    expect(Object.keys(UpdateUserDto.properties).sort()).toEqual([
      'currentPassword',
      'name',
      'password',
      'role',
    ]);
    expect(Object.keys(UserResponse.properties).sort()).toEqual([
      'createdAt',
      'id',
      'name',
      'role',
      'updatedAt',
    ]);
    expect(JSON.stringify(doc)).not.toMatch(/passwordHash|password_hash/);
  });
});
