import { jest } from '@jest/globals';
import { BadRequestException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { checkBodyShape, MAX_BODY_DEPTH } from './body-shape.middleware.js';

function run(body: unknown): unknown {
  const next = jest.fn();
  checkBodyShape({ body } as Request, {} as Response, next);
  expect(next).toHaveBeenCalledTimes(1);
  return next.mock.calls[0][0];
}

describe(checkBodyShape.name, () => {
  it.each([
    ['__proto__', JSON.parse('{"name":"a","__proto__":{"isAdmin":true}}')],
    ['constructor', { name: 'a', constructor: { prototype: { isAdmin: true } } }],
    ['items.1.prototype', { items: [{}, { prototype: 1 }] }],
  ])('refuses a body with %s, naming where it is', (path, body) => {
    const error = run(body);

    expect(error).toBeInstanceOf(BadRequestException);
    expect((error as BadRequestException).getResponse()).toMatchObject({
      message: [`property ${path} should not exist`],
    });
  });

  it.each([
    ['no body', undefined],
    ['a plain object', { name: 'constructor', password: '__proto__ is fine as a value' }],
    ['an array', [1, 'two', { three: 3 }]],
    ['a scalar', 42],
  ])('lets %s through', (_, body) => {
    expect(run(body)).toBeUndefined();
  });

  it('refuses nesting deeper than MAX_BODY_DEPTH, however deep, without recursing', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}1${']'.repeat(100_000)}`) as unknown;

    const error = run(deep);

    expect(error).toBeInstanceOf(BadRequestException);
    expect((error as BadRequestException).message).toBe(
      `Request body is nested more than ${MAX_BODY_DEPTH} levels deep`,
    );
  });

  it('lets a body exactly MAX_BODY_DEPTH levels deep through', () => {
    let body: unknown = 1;
    for (let i = 0; i < MAX_BODY_DEPTH; i++) body = { inner: body };

    expect(run(body)).toBeUndefined();
  });
});
