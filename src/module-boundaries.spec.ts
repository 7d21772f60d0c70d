import { ESLint, type Linter } from 'eslint';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = join(import.meta.dirname, '..');

/** The lint rule that keeps modules apart (eslint.boundaries.mjs), on sample imports. */
describe('module boundaries', () => {
  let eslint: ESLint;

  beforeAll(async () => {
    const { moduleBoundaries } = (await import(pathToFileURL(join(ROOT, 'eslint.boundaries.mjs')).href)) as {
      moduleBoundaries: Linter.Config[];
    };
    eslint = new ESLint({ cwd: ROOT, overrideConfigFile: true, overrideConfig: moduleBoundaries });
  });

  async function problems(file: string, from: string): Promise<string[]> {
    const [result] = await eslint.lintText(`import { x } from '${from}';\nexport const y = x;\n`, {
      filePath: join(ROOT, file),
    });
    return result.messages.map((m) => m.ruleId ?? m.message);
  }

  it.each([
    ['src/auth/auth.controller.ts', '../users/dto/user-fields.js'],
    ['src/auth/dto/login.dto.ts', '../../users/dto/user-fields.js'],
    ['src/users/users.module.ts', '../sessions/stores/redis.js'],
    ['src/database/migrations/0001.ts', '../../users/dto/x.js'],
  ])('refuses %s importing %s, a subfolder of another module', async (file, from) => {
    expect(await problems(file, from)).toEqual(['no-restricted-imports']);
  });

  it.each([
    ['src/auth/auth.controller.ts', '../users/user.response.js'],
    ['src/auth/auth.controller.ts', './dto/login.dto.js'],
    ['src/auth/dto/login.dto.ts', '../../users/user.js'],
    ['src/auth/dto/login.dto.ts', '../auth.types.js'],
    ['src/database/migrations/0001.ts', '../database.types.js'],
    ['src/users/users.module.ts', '../sessions/session.module.js'],
  ])('lets %s import %s', async (file, from) => {
    expect(await problems(file, from)).toEqual([]);
  });
});
