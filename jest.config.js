// `npm test` runs every project's tests in one Jest run, so one summary counts them all.
const { readdirSync, existsSync } = require('node:fs');
const { join } = require('node:path');

const projects = ['libs', 'services'].flatMap((dir) =>
  readdirSync(join(__dirname, dir))
    .map((name) => join(__dirname, dir, name))
    .filter((root) => existsSync(join(root, 'jest.config.js'))),
);

for (const extra of ['tools', 'e2e']) {
  if (existsSync(join(__dirname, extra, 'jest.config.js'))) projects.push(join(__dirname, extra));
}
// Generous: service tests start real brokers, databases and processes, and CI machines are small (2 cores).
// forceExit: a suite whose teardown failed can leave a socket open; CI must still end and report it.
module.exports = { projects, testTimeout: 120_000, forceExit: true };
