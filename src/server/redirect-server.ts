import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { ServerTimeouts } from '../config/configuration.js';
import { withTimeouts } from './create-server.js';

// A host name or an IP literal, with an optional port: nothing that could smuggle in a path or a user.
const HOST = /^(?:\[([0-9a-f:.]+)\]|([a-z0-9.-]+))(?::\d{1,5})?$/i;

/** The names and addresses a certificate covers; only those are redirected to. */
export class CertificateHosts {
  private readonly names: string[];
  private readonly addresses = new BlockList();

  /** @param subjectAltName as X509Certificate gives it: "DNS:localhost, IP Address:127.0.0.1" */
  constructor(subjectAltName: string | undefined) {
    const entries = (subjectAltName ?? '').split(',').map((e) => e.trim());
    this.names = entries.filter((e) => e.startsWith('DNS:')).map((e) => e.slice(4).toLowerCase());
    for (const entry of entries.filter((e) => e.startsWith('IP Address:'))) {
      const ip = entry.slice('IP Address:'.length);
      this.addresses.addAddress(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4');
    }
  }

  covers(host: string): boolean {
    const version = isIP(host);
    if (version) return this.addresses.check(host, version === 6 ? 'ipv6' : 'ipv4');
    const name = host.toLowerCase();
    return this.names.some((pattern) => {
      if (!pattern.startsWith('*.')) return pattern === name;
      // A wildcard stands for exactly one label: *.example.com covers a.example.com only.
      const suffix = pattern.slice(1);
      return (
        name.endsWith(suffix) && !name.slice(0, -suffix.length).includes('.') && name.length > suffix.length
      );
    });
  }
}

/** The answer for one plain-HTTP request: the HTTPS URL of the same host and path, or undefined (400). */
export function redirectTarget(
  req: Pick<IncomingMessage, 'headers' | 'url'>,
  httpsPort: number,
  hosts: CertificateHosts,
): string | undefined {
  const match = req.headers.host ? HOST.exec(req.headers.host) : null;
  // Only origin-form targets ("/path?query"); "//evil.example" would read as another host.
  if (!match || !req.url?.startsWith('/') || req.url.startsWith('//')) return undefined;
  const [, ipv6, name] = match;
  // Only hosts the certificate is for: behind a proxy that forwards any Host, this cannot be
  // made into a redirect to someone else's site.
  if (!hosts.covers(ipv6 ?? name)) return undefined;
  const port = httpsPort === 443 ? '' : `:${httpsPort}`;
  return `https://${ipv6 ? `[${ipv6}]` : name}${port}${req.url}`;
}

/** A plain-HTTP listener that sends every request to the HTTPS port (308 keeps method and body). */
export function createRedirectServer(
  httpsPort: number,
  hosts: CertificateHosts,
  timeouts: ServerTimeouts,
): Server {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const target = redirectTarget(req, httpsPort, hosts);
    if (!target) {
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Bad request\n');
      return;
    }
    res.writeHead(308, { Location: target, 'Content-Type': 'text/plain; charset=utf-8' }).end(`${target}\n`);
  });
  return withTimeouts(server, timeouts);
}
