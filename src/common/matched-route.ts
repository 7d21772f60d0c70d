import type { Request } from 'express';

/**
 * The route pattern that answered the request (`/api/users/:id`), or undefined when none did
 * (404s, static files, requests refused by middleware). Nest mounts every controller route on the
 * app itself, one method each, and its module middleware as routes for every method
 * (`app.all('/{*path}')`, `api/*path`), which leave their pattern on a request that no controller
 * route answered: a route for more than one method is therefore no match (nor is `@All()`).
 */
export function matchedRoute(req: Pick<Request, 'route' | 'baseUrl'>): string | undefined {
  const { path, methods = {} } = (req.route ?? {}) as { path?: unknown; methods?: Record<string, boolean> };
  if (typeof path !== 'string' || methods._all || Object.keys(methods).length > 1) return undefined;
  return `${req.baseUrl ?? ''}${path}`;
}
