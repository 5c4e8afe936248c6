module.exports = {
  ...require('../jest.preset.js'),
  displayName: 'tools',
  testMatch: ['<rootDir>/test/**/*.spec.ts'],
  moduleNameMapper: {},
};
