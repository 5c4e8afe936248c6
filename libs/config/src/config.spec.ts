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
