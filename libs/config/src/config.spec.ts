import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, bool, commonFields, duration, list, parseConfig, parseDuration, port } from './index';

const schema = z.object({
  ...commonFields,
  HTTP_PORT: port(3000),
  DEBUG: bool(false),
  RETRY: duration('30s'),
  HOSTS: list(['a']),
  SECRET: z.string().min(8),
});

describe('parseConfig', () => {
  it('applies defaults so a local start needs nothing', () => {
    const config = parseConfig('svc', schema, { SECRET: 'long-enough' });
    expect(config).toMatchObject({ HTTP_PORT: 3000, DEBUG: false, RETRY: 30_000, HOSTS: ['a'], TORII_BRAND: 'Torii' });
  });

  it('parses typed values', () => {
    const config = parseConfig('svc', schema, {
      SECRET: 'long-enough',
      HTTP_PORT: '8080',
      DEBUG: 'yes',
      RETRY: '4h',
      HOSTS: 'x, y,,z',
    });
    expect(config).toMatchObject({ HTTP_PORT: 8080, DEBUG: true, RETRY: 14_400_000, HOSTS: ['x', 'y', 'z'] });
  });

  it('names every bad variable in one error', () => {
    let error: unknown;
    try {
      parseConfig('svc', schema, { HTTP_PORT: 'eighty', DEBUG: 'maybe', RETRY: 'soon', TORII_BRAND: 'my brand' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { problems, message } = error as ConfigError;
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['DEBUG', 'HTTP_PORT', 'RETRY', 'SECRET', 'TORII_BRAND']);
    expect(message).toContain('SECRET: ');
    expect(message).toContain('(not set)');
    expect(message).toContain('(got "eighty")');
  });

  it('never prints a rejected secret: values of *SECRET*, *TOKEN*, *PASSWORD*, *KEY* names, and URL passwords', () => {
    const secrets = z.object({
      QUARANTINE_LINK_SECRET: z.string().min(32),
      INTERNAL_TOKEN: z.string().min(32),
      SMTP_PASSWORD: z.string().min(32),
      S3_SECRET_ACCESS_KEY: z.string().min(32),
      api_key: z.string().min(32),
      DATABASE_URL: z.string().regex(/\/torii$/),
      HTTP_PORT: port(3000),
    });
    let error: unknown;
    try {
      parseConfig('svc', secrets, {
        QUARANTINE_LINK_SECRET: 'hunter2-link',
        INTERNAL_TOKEN: 'hunter2-token',
        SMTP_PASSWORD: 'hunter2-password',
        S3_SECRET_ACCESS_KEY: 'hunter2-s3',
        api_key: 'hunter2-api',
        DATABASE_URL: 'postgres://torii:hunter2-db@db.internal:5432/other',
        HTTP_PORT: 'eighty',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { problems, message } = error as ConfigError;
    expect(problems).toHaveLength(7);
    expect(message).not.toContain('hunter2');
    // Still says which variable is wrong, why, and something to check it by.
    expect(message).toContain('QUARANTINE_LINK_SECRET: ');
    expect(message).toContain('(got 12 characters, not shown)');
    expect(message).toContain('(got "postgres://torii:***@db.internal:5432/other")');
    expect(message).toContain('(got "eighty")');
  });

  it('treats empty strings as unset', () => {
    expect(parseConfig('svc', schema, { SECRET: 'long-enough', HTTP_PORT: '' }).HTTP_PORT).toBe(3000);
  });
});

describe('parseDuration', () => {
  it.each([
    ['250', 250],
    ['250ms', 250],
    ['1.5s', 1500],
    ['15m', 900_000],
    ['7d', 604_800_000],
    ['soon', undefined],
    ['-1s', undefined],
  ])('%s → %s', (input, expected) => expect(parseDuration(input)).toBe(expected));
});

describe('loadConfig', () => {
  it('stops the process with a message naming the bad variable', () => {
    const script = `
      const { loadConfig, port } = require('./src/index.ts');
      const { z } = require('zod');
      loadConfig('demo', z.object({ HTTP_PORT: port(3000) }));
      console.log('booted');
    `;
    const result = spawnSync(process.execPath, ['-r', '@swc-node/register', '-e', script], {
      cwd: join(__dirname, '..'),
      env: { ...process.env, HTTP_PORT: 'not-a-port' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(78);
    expect(result.stdout).not.toContain('booted');
    expect(result.stderr).toContain('demo: invalid configuration');
    expect(result.stderr).toContain('HTTP_PORT');
  });
});
