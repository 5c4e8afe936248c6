import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose';
import { AuthUnavailableError, DEV_INTERNAL_TOKEN, HttpApiKeyVerifier, INTERNAL_TOKEN_HEADER, InvalidCredentialsError, JwtVerifier, generateApiKey } from '../src';

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  return body;
}

/** A stand-in for the tenant service: one known API key, and a JWKS document. */
function startTenantStub(validKey: string, jwks: { keys: JWK[] }) {
  const calls: string[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      calls.push(`${req.method} ${req.url}`);
      if (req.method === 'POST' && req.url === '/internal/v1/api-keys/verify') {
        // Like the tenant service: /internal/ answers only with the shared internal token.
        if (req.headers[INTERNAL_TOKEN_HEADER] !== DEV_INTERNAL_TOKEN) {
          res.writeHead(403, { 'content-type': 'application/problem+json' });
          res.end(JSON.stringify({ status: 403, code: 'internal-only' }));
          return;
        }
        const { key } = JSON.parse(await readBody(req)) as { key: string };
        if (key === validKey) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ subject: 'key-1', role: 'user', tenantId: 'A', address: 'alice@a.example' }));
        } else {
          res.writeHead(401, { 'content-type': 'application/problem+json' });
          res.end(JSON.stringify({ status: 401 }));
        }
        return;
      }
      if (req.url === '/.well-known/jwks.json') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(jwks));
        return;
      }
      res.writeHead(500);
      res.end();
    })();
  });
  return new Promise<{ url: string; calls: string[]; close: () => Promise<void> }>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        calls,
        close: () => new Promise((done) => server.close(() => done())),
      }),
    ),
  );
}

describe('HttpApiKeyVerifier and a remote JWKS against a real HTTP server', () => {
  let stub: Awaited<ReturnType<typeof startTenantStub>>;
  let validKey: string;
  let sign: (claims: Record<string, unknown>) => Promise<string>;

  beforeAll(async () => {
    validKey = (await generateApiKey()).key;
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'rsa-1', alg: 'RS256' };
    sign = (claims) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' }).setIssuer('torii-tenant').setAudience('torii').setExpirationTime('5m').sign(privateKey);
    stub = await startTenantStub(validKey, { keys: [jwk] });
  });
  afterAll(() => stub.close());

  const verifyCalls = () => stub.calls.filter((c) => c.startsWith('POST /internal/v1/api-keys/verify')).length;

  it('caches a valid key for the positive TTL', async () => {
    let now = 1_000_000;
    const verifier = new HttpApiKeyVerifier({ tenantUrl: stub.url, now: () => now });
    const before = verifyCalls();
    const expected = { subject: 'key-1', role: 'user', tenantId: 'A', address: 'alice@a.example', via: 'api-key' };
    expect(await verifier.verify(validKey)).toEqual(expected);
    expect(await verifier.verify(validKey)).toEqual(expected);
    expect(verifyCalls()).toBe(before + 1);
    now += 61_000;
    expect(await verifier.verify(validKey)).toEqual(expected);
    expect(verifyCalls()).toBe(before + 2);
  });

  it('caches a refusal for the shorter negative TTL', async () => {
    let now = 1_000_000;
    const verifier = new HttpApiKeyVerifier({ tenantUrl: stub.url, now: () => now });
    const unknown = (await generateApiKey()).key;
    const before = verifyCalls();
    expect(await verifier.verify(unknown)).toBeNull();
    now += 9_000;
    expect(await verifier.verify(unknown)).toBeNull();
    expect(verifyCalls()).toBe(before + 1);
    now += 2_000;
    expect(await verifier.verify(unknown)).toBeNull();
    expect(verifyCalls()).toBe(before + 2);
  });

  it('shares one request between concurrent checks of a key, and never sends malformed keys', async () => {
    const verifier = new HttpApiKeyVerifier({ tenantUrl: stub.url });
    const before = verifyCalls();
    await Promise.all([verifier.verify(validKey), verifier.verify(validKey), verifier.verify(validKey)]);
    expect(await verifier.verify('torii_not_a_key')).toBeNull();
    expect(verifyCalls()).toBe(before + 1);
  });

  it('sends the internal token; a refused one is AuthUnavailableError naming INTERNAL_TOKEN, not an unknown key', async () => {
    await expect(new HttpApiKeyVerifier({ tenantUrl: stub.url, internalToken: DEV_INTERNAL_TOKEN }).verify(validKey)).resolves.toMatchObject({ subject: 'key-1' });
    const wrong = new HttpApiKeyVerifier({ tenantUrl: stub.url, internalToken: 'not-the-shared-one' });
    await expect(wrong.verify(validKey)).rejects.toThrow(/refused our INTERNAL_TOKEN/);
    await expect(wrong.verify(validKey)).rejects.toBeInstanceOf(AuthUnavailableError);
  });

  it('reports an unreachable tenant service as AuthUnavailableError', async () => {
    const verifier = new HttpApiKeyVerifier({ tenantUrl: 'http://127.0.0.1:9', timeoutMs: 1_000 });
    await expect(verifier.verify(validKey)).rejects.toBeInstanceOf(AuthUnavailableError);
  });

  it('verifies RS256 tokens against the JWKS URL, fetching the key set once', async () => {
    const verifier = new JwtVerifier({ issuer: 'torii-tenant', audience: 'torii', jwks: { url: `${stub.url}/.well-known/jwks.json` } });
    await expect(verifier.verify(await sign({ sub: 'a', role: 'admin', tid: 'T' }))).resolves.toEqual({ subject: 'a', role: 'admin', tenantId: 'T', via: 'jwt' });
    await expect(verifier.verify(await sign({ sub: 'o', role: 'operator' }))).resolves.toMatchObject({ role: 'operator' });
    expect(stub.calls.filter((c) => c.includes('jwks')).length).toBe(1);
    await expect(verifier.verify(await sign({ sub: 'u', role: 'user', tid: 'T' }))).rejects.toBeInstanceOf(InvalidCredentialsError);
  });

  it('reports an unreachable JWKS URL as AuthUnavailableError', async () => {
    const verifier = new JwtVerifier({ issuer: 'torii-tenant', audience: 'torii', jwks: { url: 'http://127.0.0.1:9/.well-known/jwks.json' } });
    await expect(verifier.verify(await sign({ sub: 'o', role: 'operator' }))).rejects.toBeInstanceOf(AuthUnavailableError);
  });
});
