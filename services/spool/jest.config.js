module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'spool',
  // The Prisma client is generated (not committed): make sure it exists and matches the schema.
  globalSetup: '<rootDir>/test/global-setup.js',
};
