import { jest } from '@jest/globals';
import { ForbiddenException, HttpException, UnsupportedMediaTypeException } from '@nestjs/common';
import express, { type Request, type Response } from 'express';
import { sameOriginJsonOnly } from './same-origin.middleware.js';

const app = express();
const proxied = express().set('trust proxy', true);

interface Options {
  method?: string;
  headers?: Record<string, string>;
  encrypted?: boolean;
  behindProxy?: boolean;
}

/** A real Express request over a fake socket, so protocol, host, get() and is() are Express's own. */
function request({
  method = 'POST',
  headers = {},
  encrypted = false,
  behindProxy = false,
}: Options): Request {
  const req = Object.create((behindProxy ? proxied : app).request) as Request;
  const lowercased = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  Object.assign(req, {
    method,
    headers: { host: 'localhost:3000', ...lowercased },
    socket: { encrypted, remoteAddress: '127.0.0.1' },
  });
  return req;
}

/** What the middleware passed to next(): undefined when it let the request through. */
function outcome(options: Options): unknown {
  const next = jest.fn();
  sameOriginJsonOnly(request(options), {} as Response, next);
  expect(next).toHaveBeenCalledTimes(1);
  return next.mock.calls[0][0];
}

function refusal(options: Options): HttpException {
  const error = outcome(options);
  expect(error).toBeInstanceOf(HttpException);
  return error as HttpException;
}

const JSON_BODY = { 'Content-Type': 'application/json', 'Content-Length': '2' };

describe(sameOriginJsonOnly.name, () => {
  describe('safe methods', () => {
    it.each(['GET', 'HEAD', 'OPTIONS'])('passes %s whatever its origin and body', (method) => {
      const headers = {
        'Sec-Fetch-Site': 'cross-site',
        Origin: 'https://evil.example',
        'Content-Type': 'application/x-www-form-urlencoded',
        'Content-Length': '5',
      };

      expect(outcome({ method, headers })).toBeUndefined();
    });
  });

  it.each(['POST', 'PUT', 'PATCH', 'DELETE'])('throws ForbiddenException for a cross-site %s', (method) => {
    expect(refusal({ method, headers: { 'Sec-Fetch-Site': 'cross-site' } })).toBeInstanceOf(
      ForbiddenException,
    );
  });

  it('passes a JSON request from a client that sends neither Sec-Fetch-Site nor Origin', () => {
    expect(outcome({ headers: JSON_BODY })).toBeUndefined();
  });

  describe('Sec-Fetch-Site', () => {
    it.each(['cross-site', 'same-site'])('throws ForbiddenException when it is %s', (site) => {
      const error = refusal({ headers: { 'Sec-Fetch-Site': site, ...JSON_BODY } });

      expect(error).toBeInstanceOf(ForbiddenException);
      expect(error.message).toBe(`Cross-site requests are refused (Sec-Fetch-Site: ${site})`);
    });

    it.each(['same-origin', 'none'])('passes %s', (site) => {
      expect(outcome({ headers: { 'Sec-Fetch-Site': site, ...JSON_BODY } })).toBeUndefined();
    });

    it('refuses cross-site even with an Origin that matches', () => {
      const headers = { 'Sec-Fetch-Site': 'cross-site', Origin: 'http://localhost:3000', ...JSON_BODY };

      expect(refusal({ headers })).toBeInstanceOf(ForbiddenException);
    });
  });

  describe('Origin', () => {
    it.each([
      ['the same origin', 'http://localhost:3000', {}],
      ['the origin in other case', 'HTTP://LocalHost:3000', {}],
      ['a Host header in other case', 'http://example.com', { Host: 'Example.COM' }],
      ['the default port written out', 'http://example.com:80', { Host: 'example.com' }],
      ['a Host header with the default port', 'http://example.com', { Host: 'example.com:80' }],
    ])('passes %s', (_label, origin, headers) => {
      expect(outcome({ headers: { Origin: origin, ...headers, ...JSON_BODY } })).toBeUndefined();
    });

    it('compares with https on a TLS connection', () => {
      const headers = { Origin: 'https://example.com', Host: 'example.com:443', ...JSON_BODY };

      expect(outcome({ headers, encrypted: true })).toBeUndefined();
      expect(refusal({ headers })).toBeInstanceOf(ForbiddenException);
    });

    it("takes the protocol and host a trusted proxy forwards, not the proxy's own", () => {
      const headers = {
        Origin: 'https://app.example',
        'X-Forwarded-Proto': 'https',
        'X-Forwarded-Host': 'app.example',
        ...JSON_BODY,
      };

      expect(outcome({ headers, behindProxy: true })).toBeUndefined();
      expect(refusal({ headers })).toBeInstanceOf(ForbiddenException);
    });

    it.each([
      ['another host', 'http://evil.example:3000'],
      ['a subdomain', 'http://evil.localhost:3000'],
      ['a host that starts like ours', 'http://localhost:3000.evil.example'],
      ['another port', 'http://localhost:3001'],
      ['another scheme', 'https://localhost:3000'],
      ['"null"', 'null'],
      ['garbage', 'not an origin'],
      ['an empty value', ''],
    ])('throws ForbiddenException for %s', (_label, origin) => {
      const error = refusal({ headers: { Origin: origin, ...JSON_BODY } });

      expect(error).toBeInstanceOf(ForbiddenException);
      expect(error.message).toBe('Cross-origin requests are refused: Origin is not this server');
    });
  });

  describe('body', () => {
    it.each(['application/json', 'application/json; charset=utf-8', 'Application/JSON'])(
      'passes a body sent as %s',
      (type) => {
        expect(outcome({ headers: { 'Content-Type': type, 'Content-Length': '2' } })).toBeUndefined();
      },
    );

    it.each([
      ['text/plain', { 'Content-Type': 'text/plain', 'Content-Length': '2' }],
      ['a form', { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': '5' }],
      ['multipart', { 'Content-Type': 'multipart/form-data; boundary=x', 'Content-Length': '50' }],
      ['no Content-Type', { 'Content-Length': '2' }],
      ['a chunked body without Content-Type', { 'Transfer-Encoding': 'chunked' }],
      ['a chunked text/plain body', { 'Transfer-Encoding': 'chunked', 'Content-Type': 'text/plain' }],
    ])('throws UnsupportedMediaTypeException for %s', (_label, headers) => {
      const error = refusal({ headers });

      expect(error).toBeInstanceOf(UnsupportedMediaTypeException);
      expect(error.message).toBe('Send the request body as application/json');
    });

    it('passes a chunked JSON body', () => {
      const headers = { 'Transfer-Encoding': 'chunked', 'Content-Type': 'application/json' };

      expect(outcome({ headers })).toBeUndefined();
    });

    it.each([
      ['Content-Length 0', { 'Content-Length': '0' }],
      ['no body headers at all', {}],
      ['Content-Length 0 with another type', { 'Content-Length': '0', 'Content-Type': 'text/plain' }],
    ])('passes a request without a body: %s', (_label, headers) => {
      expect(outcome({ method: 'DELETE', headers })).toBeUndefined();
    });
  });
});
