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
});
