import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DEV_LINK_SECRET, parseSpamFilterConfig } from './config';

// Security review F2: docker-compose ran NODE_ENV=production without QUARANTINE_LINK_SECRET, so links signed with
// the public development default released mail without a login.
describe('QUARANTINE_LINK_SECRET', () => {
  const strong = 'f'.repeat(64);

  it('keeps the development default outside production (npm start works with no environment)', () => {
    expect(parseSpamFilterConfig({}).QUARANTINE_LINK_SECRET).toBe(DEV_LINK_SECRET);
    expect(parseSpamFilterConfig({ NODE_ENV: 'test' }).QUARANTINE_LINK_SECRET).toBe(DEV_LINK_SECRET);
  });

  it.each([
    ['unset', {}],
    ['the development default', { QUARANTINE_LINK_SECRET: DEV_LINK_SECRET }],
    ['31 bytes', { QUARANTINE_LINK_SECRET: 'x'.repeat(31) }],
  ])('is refused in production when %s, naming the variable', (_label, env) => {
    expect(() => parseSpamFilterConfig({ NODE_ENV: 'production', ...env })).toThrow(/QUARANTINE_LINK_SECRET: with NODE_ENV=production, set a random secret of at least 32 bytes/);
  });

  it('is taken in production from 32 bytes on', () => {
    expect(parseSpamFilterConfig({ NODE_ENV: 'production', QUARANTINE_LINK_SECRET: strong }).QUARANTINE_LINK_SECRET).toBe(strong);
    expect(parseSpamFilterConfig({ NODE_ENV: 'production', QUARANTINE_LINK_SECRET: 'x'.repeat(32) }).QUARANTINE_LINK_SECRET).toHaveLength(32);
  });

  it('stops the service at boot with a clear message (exit 78) in production without it', () => {
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', NODE_ENV: 'production', OTEL_EXPORTER_OTLP_ENDPOINT: '' };
    const result = spawnSync(process.execPath, ['-r', '@swc-node/register', join(__dirname, 'main.ts')], { cwd: join(__dirname, '..'), env, encoding: 'utf8', timeout: 60_000 });
    expect(result.status).toBe(78);
    expect(result.stderr).toContain('spam-filter: invalid configuration');
    expect(result.stderr).toMatch(/QUARANTINE_LINK_SECRET: with NODE_ENV=production, set a random secret of at least 32 bytes .* \(not set\)/);
  });
});
