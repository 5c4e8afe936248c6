import { HttpStatus, Injectable } from '@nestjs/common';
import { hashSecret, verifySecret, type Principal, type Role } from '@torii/auth';
import { ProblemException } from '@torii/http';
import { AddressesRepository } from '../addresses/addresses.repository';
import { AddressesService } from '../addresses/addresses.service';
import { DirectoryService } from '../directory/directory.service';
import { DomainsRepository } from '../domains/domains.repository';
import { conflict, notFound, unprocessable } from '../problems';
import { EmailTakenError, UsersRepository, type UserRecord } from './users.repository';
import type { UserView } from './users.dto';

export const toUserView = (u: UserRecord): UserView => ({ id: u.id, email: u.email, role: u.role, tenantId: u.tenantId, createdAt: u.createdAt.toISOString() });

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly domains: DomainsRepository,
    private readonly addresses: AddressesRepository,
    private readonly addressesService: AddressesService,
    private readonly directory: DirectoryService,
  ) {}

  list(tenantId: string): Promise<UserRecord[]> {
    return this.users.listForTenant(tenantId);
  }

  /**
   * An admin or a user, whose email must be a registered mailbox of one of the tenant's domains: the user acts
   * on that address only (P6). An admin's email must be in one of the tenant's domains when an admin creates
   * it (F5: emails are unique across tenants, so an admin could otherwise take another tenant's addresses as
   * logins); an operator may give any email (the first admin comes before the tenant has domains).
   */
  async create(tenantId: string | null, input: { email: string; password: string; role: Role }, actor: Principal): Promise<UserRecord> {
    const email = input.email.trim().toLowerCase();
    if (input.role === 'admin' && actor.role !== 'operator') {
      const domain = tenantId ? await this.domains.findForTenant(tenantId, email.slice(email.lastIndexOf('@') + 1)) : null;
      if (!domain) throw unprocessable('email-not-in-tenant-domains', `${email} is not in one of this tenant's domains (an operator can create an admin with another email)`);
    }
    let addressId: string | null = null;
    if (input.role === 'user') {
      if (!tenantId) throw unprocessable('invalid-user', 'a user belongs to a tenant');
      const at = email.lastIndexOf('@');
      const domain = await this.domains.findForTenant(tenantId, email.slice(at + 1));
      const address = domain ? await this.addresses.find(domain.id, email.slice(0, at)) : null;
      if (!address) throw unprocessable('address-not-registered', `${email} is not a registered address of this tenant`);
      if (address.kind !== 'mailbox') throw unprocessable('address-not-mailbox', `${email} is a list, not a mailbox`);
      addressId = address.id;
    }
    try {
      const { user, domains } = await this.users.create(
        { email, passwordHash: await hashSecret(input.password), role: input.role, tenantId, addressId },
        actor,
      );
      await this.directory.publish(addressId ? [...new Set([...domains])] : domains);
      return user;
    } catch (error) {
      if (error instanceof EmailTakenError) throw conflict('email-taken', error.message);
      throw error;
    }
  }

  async delete(tenantId: string, userId: string, actor: Principal): Promise<void> {
    const user = /^[0-9a-f-]{36}$/i.test(userId) ? await this.users.find(userId) : null;
    if (!user || user.tenantId !== tenantId) throw notFound(`user ${userId}`);
    await this.directory.publish(await this.users.delete(user, actor));
  }

  /** The user registered for an address (the route's address is already scoped to the caller). */
  async forAddress(tenantId: string, domain: string, address: string): Promise<UserRecord> {
    const found = await this.addressesService.get(tenantId, domain, address);
    const user = await this.users.findByAddress(found.address.id);
    if (!user) throw notFound(`user of ${address}`);
    return user;
  }

  /** A user changes their own password (current one required); an admin or operator may reset it. */
  async changePassword(
    tenantId: string,
    domain: string,
    address: string,
    input: { currentPassword?: string; newPassword: string },
    actor: Principal,
  ): Promise<void> {
    const user = await this.forAddress(tenantId, domain, address);
    if (actor.role === 'user') {
      const withSecret = await this.users.findByEmail(user.email);
      if (!withSecret || input.currentPassword === undefined || !(await verifySecret(input.currentPassword, withSecret.passwordHash))) {
        throw new ProblemException({ status: HttpStatus.FORBIDDEN, code: 'wrong-password', detail: 'the current password is not correct' });
      }
    }
    await this.users.setPassword(user, await hashSecret(input.newPassword), actor);
  }
}
