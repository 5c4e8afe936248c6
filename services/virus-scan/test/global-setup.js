// Generates the Prisma client when stale (see libs/db/jest-global-setup.js). One file per service: Jest runs
// a globalSetup path only once per run, so the services cannot all name the shared file directly.
module.exports = require('../../../libs/db/jest-global-setup.js');
