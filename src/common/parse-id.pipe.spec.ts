import { type ArgumentMetadata, BadRequestException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ParseIdPipe } from './parse-id.pipe.js';

const METADATA: ArgumentMetadata = { type: 'param', data: 'id', metatype: String };

describe(ParseIdPipe.name, () => {
  const pipe = new ParseIdPipe();

  it('returns an upper-case uuid lower-cased', async () => {
    const id = randomUUID();

    await expect(pipe.transform(id.toUpperCase(), METADATA)).resolves.toBe(id);
  });

  it('returns a lower-case uuid as it is', async () => {
    const id = randomUUID();

    await expect(pipe.transform(id, METADATA)).resolves.toBe(id);
  });

  it.each(['42', 'not-a-uuid', '', `${randomUUID()}x`, randomUUID().replaceAll('-', '')])(
    'throws BadRequestException for %j',
    async (value) => {
      await expect(pipe.transform(value, METADATA)).rejects.toThrow(BadRequestException);
    },
  );

  // Since Nest 12 a uuid is one of RFC 9562's versions 1-8 with its variant, or the nil or max
  // uuid; the ids this API makes are version 4 (randomUUID), so no id it gave out is refused.
  it.each([
    ['a version 7 uuid', '01932c07-209c-7b3a-8e2c-5e2b3f4c1d2a'],
    ['the nil uuid', '00000000-0000-0000-0000-000000000000'],
  ])('accepts %s', async (_label, id) => {
    await expect(pipe.transform(id, METADATA)).resolves.toBe(id);
  });

  it.each([
    ['no version', 'aaaaaaaa-aaaa-0aaa-8aaa-aaaaaaaaaaaa'],
    ['not the RFC variant', 'aaaaaaaa-aaaa-4aaa-caaa-aaaaaaaaaaaa'],
  ])('throws BadRequestException for uuid-shaped hex with %s', async (_label, value) => {
    await expect(pipe.transform(value, METADATA)).rejects.toThrow(BadRequestException);
  });
});
