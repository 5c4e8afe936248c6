// Jest globalSetup: runs `prisma generate` when the generated client is missing or older than the schema,
// so `npx jest --selectProjects tenant` works without a build first.
const { execFileSync } = require('node:child_process');
const { existsSync, statSync } = require('node:fs');
const { join } = require('node:path');

module.exports = async function generatePrismaClient() {
  const root = join(__dirname, '..');
  const client = join(root, 'generated', 'prisma', 'index.js');
  const schema = join(root, 'prisma', 'schema.prisma');
  if (existsSync(client) && statSync(client).mtimeMs >= statSync(schema).mtimeMs) return;
  execFileSync(process.execPath, [require.resolve('prisma/build/index.js'), 'generate', '--no-hints'], {
    cwd: root,
    stdio: 'inherit',
  });
};
