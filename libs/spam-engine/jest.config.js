module.exports = { ...require('../../jest.preset.js'), displayName: 'spam-engine' };
