// Jest globalSetup for services with a Prisma schema: runs `prisma generate` when the generated client is
// missing or older than the schema, so `npx jest --selectProjects <service>` works without a build first.
// Each service names it through a one-line test/global-setup.js of its own (Jest runs one path once).
const { execFileSync } = require('node:child_process');
const { existsSync, statSync } = require('node:fs');
const { join } = require('node:path');

module.exports = async function generatePrismaClient(_globalConfig, projectConfig) {
  const root = projectConfig.rootDir;
  const client = join(root, 'generated', 'prisma', 'index.js');
  const schema = join(root, 'prisma', 'schema.prisma');
  if (existsSync(client) && statSync(client).mtimeMs >= statSync(schema).mtimeMs) return;
  execFileSync(process.execPath, [require.resolve('prisma/build/index.js'), 'generate', '--config', 'prisma.config.ts'], {
    cwd: root,
    stdio: 'inherit',
  });
};
