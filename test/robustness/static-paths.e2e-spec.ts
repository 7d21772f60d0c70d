import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PUBLIC_DIR } from '../../src/pages/page-renderer.js';
import { parseResponse, rawRequest, type RawReply } from '../utils/clients.js';
import { createTestApp, listen, type TestApp } from '../utils/test-app.js';

/**
 * Issue #7, static paths: `..`, `%2e%2e`, `%2f`, `%00`, dotfiles, `//host` give 400 or 404, never
 * a file outside `public/assets` and never a redirect. The single-level `..`, `%2e%2e`, `%00`,
 * dotfile and `..%5c` cases are in test/pages.e2e-spec.ts; these are the rest. Every request goes
 * out byte for byte on a raw socket: no client gets to normalise the path first.
 */

const ROOT = join(import.meta.dirname, '..', '..');
// A dot-directory inside the served folder (gitignored as public/assets/.e2e-*), removed afterwards.
const DOT_DIR = join(PUBLIC_DIR, 'assets', '.e2e-static-paths');
const SECRET = 'e2e static-paths secret: must never be served';

/** Real files outside public/assets, each with its longest line to look for in any answer. */
const OUTSIDE = ['package.json', 'README.md', 'tsconfig.json', '.gitignore', '.git/config', 'src/main.ts']
  .map((file) => join(ROOT, file))
  .filter((file) => existsSync(file))
  .map((file) => {
    const longest = readFileSync(file, 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .reduce((a, b) => (b.length > a.length ? b : a), '');
    return { file, longest: Buffer.from(longest, 'utf8').toString('latin1') };
  });

async function get(port: number, path: string): Promise<RawReply> {
  const raw = await rawRequest(
    port,
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`,
    { encoding: 'latin1' },
  );
  return parseResponse(raw);
}

describe('Static paths (e2e)', () => {
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    mkdirSync(DOT_DIR, { recursive: true });
    writeFileSync(join(DOT_DIR, 'secret.css'), SECRET);
    t = await createTestApp();
    port = await listen(t);
  });

  afterAll(async () => {
    rmSync(DOT_DIR, { recursive: true, force: true });
    await t.close();
  });

  it('sees what it looks for: a real asset comes back whole over the same raw socket', async () => {
    const res = await get(port, '/assets/app.css');
    expect(res.status).toBe(200);
    expect(res.body).toBe(readFileSync(join(PUBLIC_DIR, 'assets', 'app.css'), 'latin1'));
    expect(OUTSIDE.map(({ file }) => file)).toEqual(
      expect.arrayContaining([
        join(ROOT, 'package.json'),
        join(ROOT, 'README.md'),
        join(ROOT, 'src/main.ts'),
      ]),
    );
    for (const { longest } of OUTSIDE) expect(longest.length).toBeGreaterThan(15);
  });

  it.each([
    // An encoded slash: never decoded into a path separator.
    ['%2f after the prefix', '/assets%2fapp.css'],
    ['%2F after the prefix', '/assets%2Fapp.css'],
    ['..%2f twice', '/assets/..%2f..%2fpackage.json'],
    ['..%2F twice', '/assets/..%2F..%2FREADME.md'],
    ['%2e%2e%2f twice', '/assets/%2e%2e%2f%2e%2e%2fsrc%2fmain.ts'],
    ['%2f after the file name', '/assets/app.css%2f'],
    // Another host in the path (a protocol-relative URL if it ever became a Location).
    ['//host', '//evil.example/'],
    ['//host and %2e%2e', '//evil.example/%2e%2e'],
    ['//host with an asset path', '//evil.example/assets/app.css'],
    ['///host', '///evil.example/assets'],
    ['/\\host', '/\\evil.example'],
    ['/\\\\host', '/\\\\evil.example/'],
    ['an encoded //host', '/%2f%2fevil.example'],
    ['an encoded \\host', '/%5cevil.example'],
    ['//host after the prefix', '/assets//evil.example/'],
    // Backslashes, raw and encoded.
    ['a backslash after the prefix', '/assets\\app.css'],
    ['..\\ twice', '/assets/..\\..\\package.json'],
    ['%5c.. twice', '/assets/%5c..%5c..%5cpackage.json'],
    ['..%5C twice', '/assets/..%5C..%5CREADME.md'],
    // Encodings that only a second decoding, or a lenient decoder, would turn into "..".
    ['double-encoded %252e%252e', '/assets/%252e%252e/%252e%252e/package.json'],
    ['double-encoded with slashes', '/assets/%252e%252e%252f%252e%252e%252fpackage.json'],
    ['overlong UTF-8 dots', '/assets/%c0%ae%c0%ae/%c0%ae%c0%ae/package.json'],
    ['half-encoded dots', '/assets/.%2e/%2e./package.json'],
    ['..;', '/assets/..;/..;/package.json'],
    // Real files outside public/ and templates outside public/assets.
    ['.. up to package.json', '/assets/../../package.json'],
    ['.. up to README.md', '/assets/../../README.md'],
    ['.. up to .git/config', '/assets/../../.git/config'],
    ['%2e%2e up to src/main.ts', '/assets/%2e%2e/%2e%2e/src/main.ts'],
    ['.. up to a dotfile', '/assets/../../.gitignore'],
    ['.. up to a page template', '/assets/../index.html'],
    ['%2e%2e up to a partial', '/assets/%2e%2e/partials/head.html'],
    ['a page template by name', '/index.html'],
    ['a partial by name', '/partials/head.html'],
    ['.. from the root', '/../package.json'],
    ['%2e%2e from the root', '/%2e%2e/%2e%2e/package.json'],
    ['.git from the root', '/.git/config'],
    ['the absolute form with ..', 'http://evil.example/assets/../../package.json'],
    ['the absolute form with ..%2f', 'http://evil.example/assets/..%2f..%2fpackage.json'],
    // A dot-directory inside public/assets.
    ['a file in a dot-directory', '/assets/.e2e-static-paths/secret.css'],
    ['a file in an encoded dot-directory', '/assets/%2ee2e-static-paths/secret.css'],
    ['a dot-directory', '/assets/.e2e-static-paths'],
    ['a dot-directory with its slash', '/assets/.e2e-static-paths/'],
    ['a dot-directory reached through ..', '/assets/x/../.e2e-static-paths/secret.css'],
    ['a dot-directory behind %2f', '/assets/.e2e-static-paths%2fsecret.css'],
  ])('never serves %s (%s) and never redirects', async (_, path) => {
    const res = await get(port, path);
    expect([400, 404]).toContain(res.status);
    // No 3xx at all, so no Location that could name another host ("//evil.example", a scheme).
    expect(res.headers.filter(([name]) => name === 'location')).toEqual([]);
    expect(res.body).not.toContain(SECRET);
    expect(res.body).not.toContain('{{>'); // a raw template, before its partials are put in
    for (const { file, longest } of OUTSIDE) {
      expect({ file, served: res.body.includes(longest) }).toEqual({ file, served: false });
    }
  });
});
