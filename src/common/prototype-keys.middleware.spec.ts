import { BadRequestException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { rejectPrototypeKeys } from './prototype-keys.middleware';

function run(body: unknown): unknown {
  const next = jest.fn();
  rejectPrototypeKeys({ body } as Request, {} as Response, next);
  expect(next).toHaveBeenCalledTimes(1);
  return next.mock.calls[0][0];
}

describe(rejectPrototypeKeys.name, () => {
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
});
