import { redirectTarget } from './redirect-server';

describe(redirectTarget.name, () => {
  const target = (host: string | undefined, url: string, port = 8443) =>
    redirectTarget({ headers: host === undefined ? {} : { host }, url }, port);

  it.each([
    ['example.com', '/users?page=2', 8443, 'https://example.com:8443/users?page=2'],
    ['example.com:8080', '/', 8443, 'https://example.com:8443/'],
    ['example.com', '/', 443, 'https://example.com/'],
    ['127.0.0.1:3001', '/about', 3000, 'https://127.0.0.1:3000/about'],
    ['[::1]:3001', '/about', 3000, 'https://[::1]:3000/about'],
  ])('sends %s%s to HTTPS port %d', (host, url, port, expected) => {
    expect(target(host, url, port)).toBe(expected);
  });

  it.each([
    ['no Host', undefined, '/'],
    ['a Host with a path', 'evil.example/x', '/'],
    ['a Host with credentials', 'user@evil.example', '/'],
    ['a Host with spaces', 'evil example', '/'],
    ['a protocol-relative target', 'example.com', '//evil.example/'],
    ['an absolute-form target', 'example.com', 'http://evil.example/'],
    ['an asterisk target', 'example.com', '*'],
  ])('refuses %s', (_, host, url) => {
    expect(target(host, url)).toBeUndefined();
  });
});
