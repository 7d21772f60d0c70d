import { CertificateHosts, redirectTarget } from './redirect-server.js';

const hosts = new CertificateHosts(
  'DNS:example.com, DNS:*.example.org, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
);

describe(redirectTarget.name, () => {
  const target = (host: string | undefined, url: string, port = 8443) =>
    redirectTarget({ headers: host === undefined ? {} : { host }, url }, port, hosts);

  it.each([
    ['example.com', '/users?page=2', 8443, 'https://example.com:8443/users?page=2'],
    ['EXAMPLE.com:8080', '/', 8443, 'https://EXAMPLE.com:8443/'],
    ['example.com', '/', 443, 'https://example.com/'],
    ['www.example.org', '/a', 443, 'https://www.example.org/a'],
    ['127.0.0.1:3001', '/about', 3000, 'https://127.0.0.1:3000/about'],
    ['[::1]:3001', '/about', 3000, 'https://[::1]:3000/about'],
  ])('sends %s%s to HTTPS port %d', (host, url, port, expected) => {
    expect(target(host, url, port)).toBe(expected);
  });

  it.each([
    ['no Host', undefined, '/'],
    ['a host the certificate is not for', 'evil.example', '/'],
    ['a deeper name under a wildcard', 'a.b.example.org', '/'],
    ['the bare wildcard domain', 'example.org', '/'],
    ['another IP', '10.0.0.1', '/'],
    ['a Host with a path', 'example.com/x', '/'],
    ['a Host with credentials', 'user@example.com', '/'],
    ['a protocol-relative target', 'example.com', '//evil.example/'],
    ['an absolute-form target', 'example.com', 'http://evil.example/'],
    ['an asterisk target', 'example.com', '*'],
  ])('refuses %s', (_, host, url) => {
    expect(target(host, url)).toBeUndefined();
  });
});
