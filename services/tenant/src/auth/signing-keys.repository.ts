import { Injectable } from '@nestjs/common';
import { PrismaService, type Prisma } from '../db/prisma.service';

export interface SigningKeyRecord {
  kid: string;
  algorithm: string;
  publicJwk: Record<string, unknown>;
  privateJwk: Record<string, unknown>;
  createdAt: Date;
}

/** JWT signing keys kept in the service's schema, so a restart (or another replica) signs with the same key. */
@Injectable()
export class SigningKeysRepository {
  constructor(private readonly db: PrismaService) {}

  async listActive(): Promise<SigningKeyRecord[]> {
    const rows = await this.db.signingKey.findMany({ where: { retiredAt: null }, orderBy: { createdAt: 'desc' } });
    return rows.map((row) => ({
      kid: row.kid,
      algorithm: row.algorithm,
      publicJwk: row.publicJwk as Record<string, unknown>,
      privateJwk: row.privateJwk as Record<string, unknown>,
      createdAt: row.createdAt,
    }));
  }

  async create(key: Omit<SigningKeyRecord, 'createdAt'>): Promise<void> {
    await this.db.signingKey.create({
      data: {
        kid: key.kid,
        algorithm: key.algorithm,
        publicJwk: key.publicJwk as Prisma.InputJsonValue,
        privateJwk: key.privateJwk as Prisma.InputJsonValue,
      },
    });
  }
}
