import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { EdgeConfig } from '../config/edge-config';

/** Our plugins, in hook order: runtime first, then protocol rules, size, relay, recipients, authentication, queue. */
export const TORII_PLUGINS = ['torii_directory', 'torii_metrics', 'torii_protocol', 'torii_size', 'torii_relay', 'torii_rcpt', 'torii_auth', 'torii_queue'] as const;

const HARAKA_LOG_LEVELS: Record<string, string> = {
  fatal: 'emerg',
  error: 'error',
  warn: 'warn',
  info: 'notice',
  debug: 'info',
  trace: 'protocol',
  silent: 'emerg',
};

/** Bracketed for IPv6, as Haraka's `listen` wants. */
function endpoint(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** RFC 7919 §A.1 ffdhe2048, as `openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048` prints it. */
const FFDHE2048_PEM = `-----BEGIN DH PARAMETERS-----
MIIBCAKCAQEA//////////+t+FRYortKmq/cViAnPTzx2LnFg84tNpWp4TZBFGQz
+8yTnc4kmz75fS/jY2MMddj2gbICrsRhetPfHtXV/WVhJDP1H18GbtCFY2VVPe0a
87VXE15/V8k1mE8McODmi3fipona8+/och3xWKE2rec1MKzKT0g6eXq8CrGCsyT7
YdEIqUuyyOP7uWrat2DX9GgdT0Kj3jlN9K5W7edjcrsZCwenyO4KbXCeAvzhzffi
7MA0BM0oNC9hkXL+nOmFg/+OTxIy7vKBg8P+OxtMb61zO7X8vC7CIAXFjvGDfRaD
ssbzSibBsu/6iGtCOGEoXJf//////////wIBAg==
-----END DH PARAMETERS-----
`;

/**
 * The Haraka configuration files for one edge, as name → content. Pure, so a test can read what a setting
 * becomes. Haraka's own size limit is off (we answer 552 5.3.4 ourselves), no Received or
 * Authentication-Results header is added (delivery stamps them), and long lines are not rewrapped so the
 * stored message is byte-identical to what the client sent.
 */
export function harakaConfigFiles(config: EdgeConfig, queueTimeoutSeconds: number): Record<string, string> {
  const listen = [endpoint(config.SMTP_BIND_ADDRESS, config.SMTP_INBOUND_PORT), endpoint(config.SMTP_BIND_ADDRESS, config.SMTP_RELAY_PORT)];
  const proxies = config.PROXY_PROTOCOL_FROM.map((host) => `hosts[] = ${host}`).join('\n');
  return {
    'smtp.ini': [
      '[main]',
      `listen=${listen.join(',')}`,
      // One process: the directory cache, NATS connection and metrics live once.
      'nodes=0',
      'daemonize=false',
      'graceful_shutdown=false',
      `inactivity_timeout=300`,
      'smtputf8=true',
      '',
    ].join('\n'),
    'connection.ini': [
      '[main]',
      `spool_dir=${resolve(config.STATE_DIR, 'spool')}`,
      // Larger messages go to a spool file, so memory stays bounded (P8 allows 100 MB).
      'spool_after=1048576',
      'strict_rfc1869=false',
      '',
      '[haproxy]',
      `enabled=${config.PROXY_PROTOCOL_FROM.length > 0}`,
      proxies || 'hosts[] =',
      '',
      '[headers]',
      'add_received=false',
      'clean_auth_results=false',
      'max_received=100',
      'max_lines=1000',
      '',
      '[max]',
      'bytes=0',
      'mime_parts=100000',
      'line_length=2048',
      // Haraka rewraps DATA lines longer than this; far above RFC 5321's 1000 so we keep what we got.
      'data_line_length=4194304',
      '',
      '[message]',
      'helo=pleased to meet you',
      'close=closing connection',
      '',
      '[uuid]',
      'banner_chars=0',
      'deny_chars=0',
      '',
    ].join('\n'),
    me: `${config.SMTP_HOSTNAME}\n`,
    plugins: ['tls', ...TORII_PLUGINS].join('\n') + '\n',
    'tls.ini': ['[main]', 'key=tls_key.pem', 'cert=tls_cert.pem', 'dhparam=dhparams.pem', 'requestCert=false', 'rejectUnauthorized=false', ''].join('\n'),
    // Without a dhparams file Haraka runs `openssl dhparam 2048` at every start (tens of CPU seconds);
    // the RFC 7919 ffdhe2048 group is the standard, vetted choice for finite-field DHE.
    'dhparams.pem': FFDHE2048_PEM,
    'log.ini': ['[main]', `level=${HARAKA_LOG_LEVELS[config.LOG_LEVEL] ?? 'notice'}`, 'timestamps=true', 'format=logfmt', ''].join('\n'),
    'plugin_timeout': '30\n',
    // Haraka's own timer per plugin must outlast ours (runGuarded answers 451 first).
    'torii_queue.timeout': `${queueTimeoutSeconds + 30}\n`,
    'torii_auth.timeout': `${Math.ceil((config.DNS_TIMEOUT * 4) / 1000) + 30}\n`,
    'torii_relay.timeout': `${Math.ceil((config.DNS_TIMEOUT * 3) / 1000) + 30}\n`,
  };
}

/**
 * Writes a fresh Haraka home (`<STATE_DIR>/haraka`: config/ and plugins/) and returns its path, for
 * `process.env.HARAKA`. Each Torii plugin is a folder plugin whose package.json points at our compiled
 * module, so Haraka `require`s it normally and all plugins share one runtime.
 */
export function writeHarakaHome(config: EdgeConfig, pluginModules: Record<string, string>): string {
  const home = resolve(config.STATE_DIR, 'haraka');
  const configDir = join(home, 'config');
  rmSync(join(home, 'plugins'), { recursive: true, force: true });
  mkdirSync(configDir, { recursive: true });
  mkdirSync(resolve(config.STATE_DIR, 'spool'), { recursive: true });
  for (const [name, content] of Object.entries(harakaConfigFiles(config, Math.ceil(config.QUEUE_TIMEOUT / 1000)))) {
    writeFileSync(join(configDir, name), content);
  }
  for (const [name, modulePath] of Object.entries(pluginModules)) {
    const dir = join(home, 'plugins', name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '0.0.0', private: true, main: modulePath }));
  }
  installCertificate(config, configDir);
  return home;
}

/** The configured certificate, or a self-signed one made once per state directory (local runs). */
function installCertificate(config: EdgeConfig, configDir: string): void {
  const key = join(configDir, 'tls_key.pem');
  const cert = join(configDir, 'tls_cert.pem');
  if (config.TLS_CERT_FILE && config.TLS_KEY_FILE) {
    copyFileSync(config.TLS_KEY_FILE, key);
    copyFileSync(config.TLS_CERT_FILE, cert);
    return;
  }
  const selfKey = resolve(config.STATE_DIR, 'self-signed-key.pem');
  const selfCert = resolve(config.STATE_DIR, 'self-signed-cert.pem');
  if (!existsSync(selfKey) || !existsSync(selfCert)) {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '825', '-subj', `/CN=${config.SMTP_HOSTNAME}`,
        '-addext', `subjectAltName=DNS:${config.SMTP_HOSTNAME}`, '-keyout', selfKey, '-out', selfCert],
      { stdio: 'ignore' },
    );
  }
  copyFileSync(selfKey, key);
  copyFileSync(selfCert, cert);
}
