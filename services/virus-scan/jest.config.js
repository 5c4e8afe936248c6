module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'virus-scan',
  // The Prisma client is generated (not committed): make sure it exists and matches the schema.
  globalSetup: '<rootDir>/test/global-setup.js',
};
