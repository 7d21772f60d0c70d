// Unit specs live beside the code; e2e, process-level and browser specs in test/.
// The project is ES modules (Nest 12's packages are ESM-only), so Jest runs in ESM mode (the npm
// scripts start it with --experimental-vm-modules); sources import './x.js', found as './x.ts'.
const esm = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  setupFiles: [`${import.meta.dirname}/test/utils/nest-esm-first.ts`],
};

// e2e files about SQLite itself (its file, its locks), with their PostgreSQL and Redis
// counterparts in test/scale/.
const SQLITE_ONLY = [
  // A SQLite write lock and a destroyed SQLite driver: test/scale/dependencies.scale-spec.ts
  // stops and restarts real PostgreSQL and Redis servers instead.
  '/test/robustness/dependencies\\.e2e-spec\\.ts$',
  // Reads the SQLite file after kill -9; PostgreSQL's own durability is not ours to re-test.
  '/test/robustness/crash\\.e2e-spec\\.ts$',
];

/** @type {import('jest').Config} */
export default {
  // A global option: Jest ignores it inside a project.
  testTimeout: 30000,
  projects: [
    {
      displayName: 'unit',
      ...esm,
      rootDir: 'src',
      testRegex: '\\.spec\\.ts$',
    },
    {
      displayName: 'e2e',
      ...esm,
      rootDir: 'test',
      testRegex: '\\.e2e-spec\\.ts$',
    },
    // `npm run test:scale`: the e2e suite again on PostgreSQL + Redis, plus the multi-instance
    // tests behind nginx. Files left out test what only a SQLite file has.
    {
      displayName: 'scale',
      ...esm,
      rootDir: 'test',
      testRegex: '\\.(e2e|scale)-spec\\.ts$',
      testPathIgnorePatterns: SQLITE_ONLY,
      globalSetup: '<rootDir>/scale/global-setup.ts',
      setupFiles: [...esm.setupFiles, '<rootDir>/scale/setup.ts'],
    },
    // Real Chromium against the built server: `npm run test:browser`, not part of `npm test`.
    {
      displayName: 'browser',
      ...esm,
      rootDir: 'test',
      testRegex: '\\.browser-spec\\.ts$',
    },
  ],
};
