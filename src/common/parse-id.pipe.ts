import { HttpStatus, ParseUUIDPipe } from '@nestjs/common';

/** A uuid path parameter, lower-cased so it matches stored ids in every dialect. */
export class ParseIdPipe extends ParseUUIDPipe {
  constructor() {
    super({ errorHttpStatusCode: HttpStatus.BAD_REQUEST });
  }

  override async transform(
    value: string,
    metadata: Parameters<ParseUUIDPipe['transform']>[1],
  ): Promise<string> {
    await super.transform(value, metadata); // a 400 unless value is a uuid
    return value.toLowerCase();
  }
}
