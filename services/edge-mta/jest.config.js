module.exports = { ...require('../../jest.preset.js'), displayName: 'edge-mta' };
