import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { AuthUnavailableError, InvalidCredentialsError } from './errors';
import { isRole, type Principal } from './principal';

/** Where verification keys come from: the tenant service's JWKS URL, or (in the issuer itself) a function. */
export type JwksOption = { url: string } | { keys: () => Promise<JSONWebKeySet> };

export interface JwtVerifierOptions {
  issuer: string;
  audience: string;
  jwks: JwksOption;
}

const ALGORITHMS = ['EdDSA', 'RS256'];

/** jose errors that mean "this token is bad" rather than "we could not check it". */
const REJECTIONS = [
  errors.JWTExpired,
  errors.JWTClaimValidationFailed,
  errors.JWTInvalid,
  errors.JWSInvalid,
  errors.JWSSignatureVerificationFailed,
  errors.JWKSNoMatchingKey,
  errors.JWKSMultipleMatchingKeys,
  errors.JOSEAlgNotAllowed,
  errors.JOSENotSupported,
];

/** Verifies tokens issued by the tenant service and turns their claims into a Principal. */
export class JwtVerifier {
  private readonly getKey: JWTVerifyGetKey;

  constructor(private readonly options: JwtVerifierOptions) {
    const { jwks } = options;
    // The remote set is cached by jose and refetched on an unknown `kid` (key rotation).
    this.getKey =
      'url' in jwks
        ? createRemoteJWKSet(new URL(jwks.url), { timeoutDuration: 5_000, cooldownDuration: 30_000 })
        : async (header, token) => createLocalJWKSet(await jwks.keys())(header, token);
  }

  async verify(token: string): Promise<Principal> {
    return (await this.verifyToken(token)).principal;
  }

  /** The principal and the session version (`sv`) the token was issued under (0 for tokens without one). */
  async verifyToken(token: string): Promise<{ principal: Principal; sessionVersion: number }> {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.getKey, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: ALGORITHMS,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (error) {
      if (REJECTIONS.some((type) => error instanceof type)) throw new InvalidCredentialsError('invalid token', { cause: error });
      throw new AuthUnavailableError('could not verify token', { cause: error });
    }
    const sv = payload.sv;
    return { principal: principalFromClaims(payload), sessionVersion: typeof sv === 'number' && Number.isInteger(sv) ? sv : 0 };
  }
}

/** The contract's claims (sub, role, tid, email) as a Principal; a token that breaks it is invalid. */
export function principalFromClaims(claims: Record<string, unknown>): Principal {
  const { sub, role, tid, email } = claims;
  if (typeof sub !== 'string' || !isRole(role)) throw new InvalidCredentialsError('token lacks sub or a known role');
  if (role !== 'operator' && typeof tid !== 'string') throw new InvalidCredentialsError(`a ${role} token needs tid`);
  if (role === 'user' && typeof email !== 'string') throw new InvalidCredentialsError('a user token needs email');
  return {
    subject: sub,
    role,
    ...(role !== 'operator' && { tenantId: tid as string }),
    ...(typeof email === 'string' && { address: email }),
    via: 'jwt',
  };
}
