import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'isPublic';

/** Lets anonymous requests through the global session guard. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
