// End-to-end tests: the built services (services/*/dist/main.js) as child processes, each test file with
// its own NATS server, database, S3 server and SMTP sinks. `npm test` builds everything before Jest runs.
const preset = require('../jest.preset.js');

module.exports = {
  ...preset,
  displayName: 'e2e',
  testMatch: ['<rootDir>/test/**/*.spec.ts'],
  // e2e/ is one level deep, the preset's mapping assumes two (libs/<n>, services/<n>).
  moduleNameMapper: { '^@torii/([a-z0-9-]+)$': '<rootDir>/../libs/$1/src/index.ts' },
  // Prints the tail of each service's log when a test fails (see the file).
  testEnvironment: '<rootDir>/test/support/environment.js',
  testTimeout: 120_000,
};
