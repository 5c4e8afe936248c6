import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JSONWebKeySet, type JWK } from 'jose';
import { TENANT_CONFIG, type TenantConfig } from '../config';
import { Keyring } from '../db/core.module';
import { SigningKeysRepository, type SigningKeyRecord } from './signing-keys.repository';

export const ISSUER = 'torii-tenant';
export const AUDIENCE = 'torii';
const ALGORITHM = 'EdDSA';

export interface TokenSubject {
  userId: string;
  role: 'operator' | 'admin' | 'user';
  tenantId: string | null;
  email: string;
  /** The user's session version, carried as `sv`: a sign-out or password change raises it, ending this token. */
  sessionVersion: number;
}

/**
 * Issues login tokens (EdDSA/Ed25519). The key pair is generated once and kept in the service's schema, so
 * restarts and replicas sign with it; every unretired key is published in the JWKS, the newest signs (a
 * rotation adds a key, and retires the old one once its tokens have expired).
 */
@Injectable()
export class TokensService implements OnModuleInit {
  private keys: SigningKeyRecord[] = [];

  constructor(
    private readonly repository: SigningKeysRepository,
    private readonly keyring: Keyring,
    @Inject(TENANT_CONFIG) private readonly config: TenantConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    this.keys = await this.repository.listActive();
    if (this.keys.length === 0) {
      const { publicKey, privateKey } = await generateKeyPair(ALGORITHM, { crv: 'Ed25519', extractable: true });
      const kid = randomUUID();
      await this.repository.create({
        kid,
        algorithm: ALGORITHM,
        publicJwk: { ...(await exportJWK(publicKey)), kid, alg: ALGORITHM, use: 'sig' },
        privateJwk: { ...(await exportJWK(privateKey)), kid, alg: ALGORITHM },
      });
      // Two replicas booting at once may both create one: both are valid, the newest signs.
      this.keys = await this.repository.listActive();
    }
    this.keyring.set(this.jwks());
  }

  jwks(): JSONWebKeySet {
    return { keys: this.keys.map((k) => k.publicJwk as unknown as JWK) };
  }

  async issue(subject: TokenSubject): Promise<{ token: string; expiresAt: string }> {
    const key = this.keys[0];
    if (!key) throw new Error('no signing key loaded');
    const expiresAt = new Date(Date.now() + this.config.JWT_TTL);
    const token = await new SignJWT({
      role: subject.role,
      email: subject.email,
      ...(subject.tenantId !== null && { tid: subject.tenantId }),
      sv: subject.sessionVersion,
    })
      .setProtectedHeader({ alg: ALGORITHM, kid: key.kid, typ: 'JWT' })
      .setSubject(subject.userId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(await importJWK(key.privateJwk as JWK, ALGORITHM));
    return { token, expiresAt: expiresAt.toISOString() };
  }
}
