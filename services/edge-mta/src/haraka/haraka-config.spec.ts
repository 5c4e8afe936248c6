import { parseConfig } from '@torii/config';
import { edgeConfigSchema } from '../config/edge-config';
import { harakaConfigFiles } from './haraka-config';

describe('harakaConfigFiles', () => {
  const config = parseConfig('edge-mta', edgeConfigSchema, {
    SMTP_BIND_ADDRESS: '0.0.0.0',
    SMTP_INBOUND_PORT: '25',
    SMTP_RELAY_PORT: '587',
    SMTP_HOSTNAME: 'mx.torii.example',
    PROXY_PROTOCOL_FROM: '10.0.0.1, 10.0.0.2',
  });
  const files = harakaConfigFiles(config, 120);

  it('listens on both ports in one process', () => {
    expect(files['smtp.ini']).toContain('listen=0.0.0.0:25,0.0.0.0:587');
    expect(files['smtp.ini']).toContain('nodes=0');
  });

  it('leaves size limits, Received and Authentication-Results to the Torii plugins and delivery', () => {
    expect(files['connection.ini']).toMatch(/\[max\]\nbytes=0/);
    expect(files['connection.ini']).toContain('add_received=false');
    expect(files['connection.ini']).toContain('clean_auth_results=false');
    expect(files['connection.ini']).toContain('deny_chars=0');
  });

  it('ships the RFC 7919 DH group so Haraka never generates dhparams at start', () => {
    expect(files['tls.ini']).toContain('dhparam=dhparams.pem');
    expect(files['dhparams.pem']).toMatch(/^-----BEGIN DH PARAMETERS-----\n[\s\S]+-----END DH PARAMETERS-----\n$/);
  });

  it('accepts the PROXY protocol only from the configured load balancers', () => {
    expect(files['connection.ini']).toContain('enabled=true\nhosts[] = 10.0.0.1\nhosts[] = 10.0.0.2');
  });

  it('loads STARTTLS first, then the Torii plugins, and names the host', () => {
    expect(files.plugins.split('\n')[0]).toBe('tls');
    expect(files.plugins).toContain('torii_queue');
    expect(files.me).toBe('mx.torii.example\n');
  });

  it('gives the queue plugin more time in Haraka than our own timer', () => {
    expect(Number(files['torii_queue.timeout'])).toBeGreaterThan(120);
  });
});
