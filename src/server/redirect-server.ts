import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ServerTimeouts } from '../config/configuration';

// A host name or an IP literal, with an optional port: nothing that could smuggle in a path or a user.
const HOST = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/i;

/** The answer for one plain-HTTP request: 308 to the same host and path over HTTPS, or 400. */
export function redirectTarget(
  req: Pick<IncomingMessage, 'headers' | 'url'>,
  httpsPort: number,
): string | undefined {
  const host = req.headers.host;
  const match = host ? HOST.exec(host) : null;
  // Only origin-form targets ("/path?query"); "//evil.example" would read as another host.
  if (!match || !req.url?.startsWith('/') || req.url.startsWith('//')) return undefined;
  const port = httpsPort === 443 ? '' : `:${httpsPort}`;
  return `https://${match[1]}${port}${req.url}`;
}

/** A plain-HTTP listener that sends every request to the HTTPS port (308 keeps method and body). */
export function createRedirectServer(httpsPort: () => number, timeouts: ServerTimeouts): Server {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const target = redirectTarget(req, httpsPort());
    if (!target) {
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Bad request\n');
      return;
    }
    res.writeHead(308, { Location: target, 'Content-Type': 'text/plain; charset=utf-8' }).end(`${target}\n`);
  });
  return Object.assign(server, {
    headersTimeout: timeouts.headersMs,
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
  });
}
