import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Name, version and description from package.json, read once. */
export const PACKAGE = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  description: string;
};
