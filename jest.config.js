// Unit specs live beside the code; e2e, process-level and browser specs in test/.
const transform = { '^.+\\.ts$': ['@swc/jest'] };

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
module.exports = {
  // A global option: Jest ignores it inside a project.
  testTimeout: 30000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      rootDir: 'src',
      testRegex: '\\.spec\\.ts$',
      transform,
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      rootDir: 'test',
      testRegex: '\\.e2e-spec\\.ts$',
      transform,
    },
    // `npm run test:scale`: the e2e suite again on PostgreSQL + Redis, plus the multi-instance
    // tests behind nginx. Files left out test what only a SQLite file has.
    {
      displayName: 'scale',
      testEnvironment: 'node',
      rootDir: 'test',
      testRegex: '\\.(e2e|scale)-spec\\.ts$',
      testPathIgnorePatterns: SQLITE_ONLY,
      globalSetup: '<rootDir>/scale/global-setup.ts',
      setupFiles: ['<rootDir>/scale/setup.ts'],
      transform,
    },
    // Real Chromium against the built server: `npm run test:browser`, not part of `npm test`.
    {
      displayName: 'browser',
      testEnvironment: 'node',
      rootDir: 'test',
      testRegex: '\\.browser-spec\\.ts$',
      transform,
    },
  ],
};
