import { matchedRoute } from './matched-route.js';

describe(matchedRoute.name, () => {
  it('gives the pattern of the controller route that answered, under its mount point', () => {
    expect(matchedRoute({ baseUrl: '', route: { path: '/api/users/:id', methods: { get: true } } })).toBe(
      '/api/users/:id',
    );
    expect(matchedRoute({ baseUrl: '/v2', route: { path: '/users', methods: { post: true } } })).toBe(
      '/v2/users',
    );
  });

  it('gives nothing when no route matched', () => {
    expect(matchedRoute({ baseUrl: '', route: undefined })).toBeUndefined();
  });

  it('gives nothing for the every-method route that Nest module middleware leaves behind', () => {
    const everyMethod = { get: true, post: true, put: true, patch: true, delete: true, head: true };
    expect(matchedRoute({ baseUrl: '', route: { path: '/{*path}', methods: everyMethod } })).toBeUndefined();
    expect(
      matchedRoute({ baseUrl: '', route: { path: '/{*path}', methods: { _all: true } } }),
    ).toBeUndefined();
  });
});
