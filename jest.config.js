// Unit specs live beside the code; e2e, process-level and browser specs in test/.
const transform = { '^.+\\.ts$': ['@swc/jest'] };

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
