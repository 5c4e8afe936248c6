import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Principal } from '@torii/auth';
import {
  Codecs,
  DeliveryState,
  Direction,
  MailSubmitSchema,
  NotifyCondition,
  SpamAction,
  SpamVerdictSchema,
  VerdictKind,
  create,
  timestampFromDate,
  timestampNow,
  type DeliveryStatus,
  type MailSubmit,
  type SpamVerdict,
  type VirusVerdict,
  VirusStatus,
} from '@torii/contracts';
import { composeFailureDsn, headerSection } from '@torii/dsn';
import { TemporaryError, describeError } from '@torii/errors';
import { ProblemException } from '@torii/http';
import { parseMessage } from '@torii/spam-engine';
import { ObjectNotFoundError } from '@torii/storage';
import { SPAM_FILTER_CONFIG, type SpamFilterConfig } from '../config';
import { DirectoryCache } from '../directory/directory.cache';
import type { FeedbackView } from '../feedback/feedback.dto';
import { FeedbackService } from '../feedback/feedback.service';
import { PolicyService } from '../policy/policy.service';
import { conflict, forwardLimited, notFound, unprocessable } from '../problems';
import { displaySender, listSubject } from '../scoring/message-facts';
import { ScoredRepository } from '../scoring/scored.repository';
import type { StoredInput } from '../scoring/scoring.service';
import { VerdictPublisher } from '../scoring/verdict.publisher';
import { composeDigest, composeWarning } from './quarantine.mail';
import { QuarantineObjects } from './quarantine.objects';
import { QuarantineRepository, type Actor, type BoxRow, type ForwardDecision, type ForwardRequest, type ItemRow, type OutboxRow, type SearchFilter } from './quarantine.repository';
import {
  DIGEST_MAX_ITEMS,
  MAX_RETENTION_DAYS,
  bareAddress,
  defaultQuotaBytes,
  domainCapacityBytes,
  headerFields,
  headerSectionOf,
  oneLine,
  quotaFits,
  signLink,
  withArrivalTrace,
  withResentFields,
  type LinkPurpose,
} from './quarantine.rules';

const HEAD_BYTES = 256 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ItemView {
  id: string;
  messageId: string;
  address: string;
  sender: string;
  subject: string;
  date: string;
  quarantinedAt: string;
  scorePercent: number;
  size: number;
  expiresAt: string;
}

export const itemView = (i: ItemRow): ItemView => ({
  id: i.id,
  messageId: i.messageId,
  address: i.address,
  sender: i.sender,
  subject: i.subject,
  date: i.date.toISOString(),
  quarantinedAt: i.quarantinedAt.toISOString(),
  scorePercent: i.scorePercent,
  size: i.size,
  expiresAt: i.expiresAt.toISOString(),
});

export interface BoxSettings {
  quotaBytes?: number | null;
  retentionDays?: number;
  digestHours?: number | null;
}

/** The quarantine box (SPAM10–13): filing, quota, actions, digests. Scoping checks against the directory. */
/** The directory's own changes (an address or domain removed) are audited under this actor. */
export const DIRECTORY_ACTOR = { subject: 'directory', role: 'system' } as unknown as Pick<Principal, 'subject' | 'role'>;

@Injectable()
export class QuarantineService {
  private readonly logger = new Logger(QuarantineService.name);

  constructor(
    @Inject(SPAM_FILTER_CONFIG) private readonly config: SpamFilterConfig,
    private readonly repository: QuarantineRepository,
    private readonly objects: QuarantineObjects,
    private readonly scored: ScoredRepository,
    private readonly directory: DirectoryCache,
    private readonly policies: PolicyService,
    private readonly feedback: FeedbackService,
    private readonly verdicts: VerdictPublisher,
  ) {}

  // ---- filing (delivery.quarantined) ----

  /**
   * Delivery reports a recipient quarantined: file the message in that address's box, or bounce it to the
   * sender when the box is full. The spam record (written before the verdict) gives the object and score.
   */
  async onQuarantined(status: DeliveryStatus): Promise<OutboxRow[]> {
    if (status.status !== DeliveryState.QUARANTINED || status.direction !== Direction.INBOUND) return [];
    const record = await this.scored.find(status.messageId);
    if (!record) {
      this.logger.warn(`quarantined ${status.messageId} for ${status.recipient} has no spam record; not filed`);
      return [];
    }
    const address = status.recipient.toLowerCase();
    const input = record.input as unknown as StoredInput;
    let size: number | null;
    let head: Buffer = Buffer.alloc(0);
    try {
      size = await this.objects.size(record.objectKey);
      if (size !== null) head = await this.objects.head(record.objectKey, HEAD_BYTES);
    } catch (error) {
      if (!(error instanceof ObjectNotFoundError)) throw new TemporaryError(`reading ${record.objectKey}`, { cause: error });
      size = null;
    }
    if (size === null) {
      this.logger.error(`quarantined ${status.messageId}: object ${record.objectKey} is gone; not filed`);
      return [];
    }
    const parsed = parseMessage(head);
    const dateHeader = parsed.headers.find((h) => h.name === 'date')?.value;
    const date = dateHeader && !Number.isNaN(Date.parse(dateHeader)) ? new Date(dateHeader) : record.scoredAt;
    const copyKey = QuarantineObjects.copyKey(record.tenantId, record.messageId);
    const quota = await this.quotaOf(record.domain, await this.repository.box(address));
    const now = new Date();
    const result = await this.repository.admit(
      {
        tenantId: record.tenantId,
        domain: record.domain,
        address,
        messageId: record.messageId,
        // Kept as one line each (no control characters): the digest, the link pages and the API show them.
        sender: oneLine(displaySender(head, parsed) ?? input.envelope.mailFrom),
        subject: oneLine(listSubject(head, parsed)),
        date,
        scorePercent: record.scorePercent,
        size,
        objectKey: copyKey,
      },
      quota,
      {
        storeCopy: () => this.objects.copy(record.objectKey, copyKey),
        refusal: async () => {
          const dsnId = `quarantine-full-${record.messageId}-${address}`.replace(/[^A-Za-z0-9_-]/g, '');
          const raw = composeFailureDsn(
            {
              reportingMta: this.config.GATEWAY_HOSTNAME,
              mailFrom: input.envelope.mailFrom,
              envid: '',
              ret: 'hdrs',
              arrivalDate: record.scoredAt,
              recipients: [
                { address, notify: [], orcpt: '', status: '5.2.2', remoteMta: '', diagnostic: '552 5.2.2 quarantine box full (message classified as spam)', lastAttemptAt: now },
              ],
              dsnId,
              now,
              brand: this.config.TORII_BRAND,
            },
            { type: 'headers', headers: headerSection(head) },
          );
          if (!raw) return undefined; // null sender or NOTIFY=NEVER: nobody to tell
          return this.submission(raw, {
            submitId: dsnId,
            tenantId: record.tenantId,
            domain: record.domain,
            purpose: 'dsn-failure',
            direction: Direction.OUTBOUND,
            mailFrom: '',
            to: [input.envelope.mailFrom],
            bypass: ['spam', 'virus', 'audit'],
            related: record.messageId,
            now,
          });
        },
        warning: async (used) => {
          const submitId = `quarantine-warning-${record.messageId}-${address}`.replace(/[^A-Za-z0-9_-]/g, '');
          const raw = await composeWarning({ brand: this.config.TORII_BRAND, gatewayHostname: this.config.GATEWAY_HOSTNAME, to: address, submitId, now, usedBytes: used, quotaBytes: quota });
          return this.submission(raw, {
            submitId,
            tenantId: record.tenantId,
            domain: record.domain,
            purpose: 'quota-warning',
            direction: Direction.INBOUND,
            mailFrom: '',
            to: [address],
            bypass: ['spam', 'virus', 'audit'],
            related: record.messageId,
            now,
          });
        },
      },
      now,
    );
    if (result.kind === 'refused') this.logger.log(`box ${address} full: ${record.messageId} bounced to <${input.envelope.mailFrom}>`);
    return result.kind === 'duplicate' ? [] : result.notices;
  }

  // ---- capacity ----

  async capacity(domain: string): Promise<{ capacityBytes: number; defaultQuotaBytes: number }> {
    const entry = await this.directory.lookup(domain);
    const plan = entry?.planAddresses || 10;
    const capacity = domainCapacityBytes(entry?.spamPolicy?.settings, plan);
    return { capacityBytes: capacity, defaultQuotaBytes: defaultQuotaBytes(capacity, plan) };
  }

  readonly quotaOf = async (domain: string, box: BoxRow | null): Promise<number> => {
    if (box?.quotaBytes !== null && box?.quotaBytes !== undefined) return Number(box.quotaBytes);
    return (await this.capacity(domain)).defaultQuotaBytes;
  };

  async usage(tenantId: string, domain: string) {
    const name = await this.policies.ownedDomain(tenantId, domain);
    const { capacityBytes, defaultQuotaBytes: share } = await this.capacity(name);
    const usage = await this.repository.domainUsage(tenantId, name);
    const boxes = new Map((await this.repository.domainBoxes(name)).map((b) => [b.address, b]));
    const addresses = [...new Set([...usage.map((u) => u.address), ...boxes.keys()])].sort().map((address) => {
      const u = usage.find((x) => x.address === address);
      const box = boxes.get(address);
      return { address, usedBytes: u?.usedBytes ?? 0, items: u?.items ?? 0, quotaBytes: box?.quotaBytes != null ? Number(box.quotaBytes) : share };
    });
    return { domain: name, capacityBytes, defaultQuotaBytes: share, usedBytes: addresses.reduce((a, b) => a + b.usedBytes, 0), addresses };
  }

  async settings(tenantId: string, domain: string, address: string) {
    const owned = await this.policies.ownedAddress(tenantId, domain, address);
    const box = await this.repository.box(owned.address);
    const { usedBytes, items } = await this.repository.boxUsage(tenantId, owned.address);
    return {
      address: owned.address,
      quotaBytes: await this.quotaOf(owned.domain, box),
      quotaIsDefault: box?.quotaBytes == null,
      retentionDays: box?.retentionDays ?? 14,
      digestHours: box?.digestHours ?? null,
      lastDigestAt: box?.lastDigestAt?.toISOString() ?? null,
      usedBytes,
      items,
    };
  }

  async setSettings(tenantId: string, domain: string, address: string, settings: BoxSettings, principal: Principal) {
    const owned = await this.policies.ownedAddress(tenantId, domain, address);
    const { capacityBytes } = await this.capacity(owned.domain);
    const saved = await this.repository.setBox(
      { address: owned.address, domain: owned.domain, tenantId },
      settings,
      (others) => quotaFits(capacityBytes, others, settings.quotaBytes ?? 0),
      this.actor(principal, tenantId, owned.domain),
    );
    if (!saved) throw unprocessable('capacity-exceeded', `the quotas of ${owned.domain} would exceed its quarantine capacity of ${capacityBytes} bytes`, { capacityBytes });
    return this.settings(tenantId, domain, address);
  }

  // ---- actions (SPAM10) ----

  async search(tenantId: string, domain: string, address: string, filter: SearchFilter, page: number, pageSize: number) {
    const owned = await this.policies.ownedAddress(tenantId, domain, address);
    const { items, total } = await this.repository.search(tenantId, owned.address, filter, page, pageSize);
    return { items: items.map(itemView), page, pageSize, total };
  }

  /** The item of this box, or 404 (another box's id reveals nothing). */
  async ownedItem(tenantId: string, domain: string, address: string, id: string): Promise<ItemRow> {
    const owned = await this.policies.ownedAddress(tenantId, domain, address);
    const item = UUID.test(id) ? await this.repository.item(id) : null;
    if (!item || item.address !== owned.address || item.tenantId !== tenantId) throw notFound(`quarantined message ${id}`);
    return item;
  }

  /** Headers and a text rendering: text/plain parts, else the HTML's text (tags stripped, nothing loaded). */
  async view(tenantId: string, domain: string, address: string, id: string, principal: Principal) {
    const item = await this.ownedItem(tenantId, domain, address, id);
    const raw = await this.objects.read(item.objectKey);
    const parsed = parseMessage(raw);
    await this.repository.recordAction({ actor: this.actor(principal, tenantId, item.domain), action: 'spam.quarantine.view', target: item.id, details: { address: item.address, messageId: item.messageId } });
    return {
      ...itemView(item),
      headers: headerFields(headerSectionOf(raw)),
      text: parsed.text.trim() !== '' ? parsed.text : parsed.htmlText,
      attachments: parsed.parts.filter((p) => p.filename || p.disposition === 'attachment').map((p) => ({ filename: p.filename, contentType: p.contentType, size: p.size })),
    };
  }

  async download(tenantId: string, domain: string, address: string, id: string, principal: Principal): Promise<{ item: ItemRow; raw: Buffer }> {
    const item = await this.ownedItem(tenantId, domain, address, id);
    const raw = await this.objects.read(item.objectKey);
    await this.repository.recordAction({ actor: this.actor(principal, tenantId, item.domain), action: 'spam.quarantine.download', target: item.id, details: { address: item.address, messageId: item.messageId } });
    return { item, raw };
  }

  /**
   * The boxes of addresses that no longer exist (`gone`: the domain's addresses not in the directory, or all of
   * them when the domain is gone): every item and its copy, and the box settings. Audited as the directory.
   */
  async purgeBoxes(tenantId: string, domain: string, gone: (address: string) => boolean): Promise<number> {
    const items = (await this.repository.itemsOfDomain(domain)).filter((i) => gone(i.address));
    let removed = 0;
    for (let at = 0; at < items.length; at += 200) {
      const batch = items.slice(at, at + 200);
      removed += (
        await this.repository.remove(
          batch.map((i) => i.id),
          (key) => this.objects.delete(key),
          this.quotaOf,
          { audit: { actor: { principal: DIRECTORY_ACTOR, tenantId, domain }, action: 'spam.quarantine.purge', target: domain, details: { addresses: [...new Set(batch.map((i) => i.address))] } } },
        )
      ).length;
    }
    await this.repository.removeBoxes(domain, gone);
    return removed;
  }

  async delete(tenantId: string, domain: string, address: string, id: string, principal: Principal): Promise<void> {
    const item = await this.ownedItem(tenantId, domain, address, id);
    const removed = await this.repository.remove([item.id], (key) => this.objects.delete(key), this.quotaOf, {
      audit: { actor: this.actor(principal, tenantId, item.domain), action: 'spam.quarantine.delete', target: item.id, details: { address: item.address, messageId: item.messageId } },
    });
    // Released, deleted or expired meanwhile (another request or replica): gone, and not audited as deleted here.
    if (removed.length === 0) throw notFound(`quarantined message ${id}`);
  }

  async release(tenantId: string, domain: string, address: string, id: string, principal: Principal, allowSender = false): Promise<{ submitId: string; allowed?: string }> {
    const item = await this.ownedItem(tenantId, domain, address, id);
    return this.releaseItem(item, this.actor(principal, tenantId, item.domain), allowSender, principal);
  }

  /**
   * Release and report as wrongly flagged (SPAM14) in one step. The report comes first and uses the original
   * message id: the released copy is a new submission whose id feedback does not know.
   */
  async releaseAndReport(tenantId: string, domain: string, address: string, id: string, principal: Principal): Promise<{ submitId: string; feedback: FeedbackView }> {
    const item = await this.ownedItem(tenantId, domain, address, id);
    const feedback = await this.feedback.report(tenantId, item.domain, item.messageId, 'false-positive', principal);
    const { submitId } = await this.releaseItem(item, this.actor(principal, tenantId, item.domain), false, principal);
    return { submitId, feedback };
  }

  /**
   * A copy to any address (SPAM10), within the forward limits (security review F1): per user and per tenant in
   * QUARANTINE_FORWARD_WINDOW, counted in Postgres (429 with Retry-After beyond them); the same item to the same
   * address again within the window sends nothing and answers the first forward's id (`repeated`). The copy is
   * the box's bytes under a resent block naming the forwarder; its id is random (the item's id, a digest link's
   * claim, stays out of the Received field delivery stamps with it).
   * The copy is read, built and stored first, outside any transaction, under its own random key; then one short
   * transaction under the tenant's lock decides (see QuarantineRepository.forward). A request the lock-free
   * pre-check already refuses or finds repeated does no S3 work; one refused or repeated under the lock (a race)
   * deletes the copy it stored (best effort: a failed delete, or a failed transaction, leaves an object nothing
   * references, logged; sweepCopies does not cover `submit/` keys).
   */
  async forward(tenantId: string, domain: string, address: string, id: string, to: string, principal: Principal): Promise<{ submitId: string; repeated?: true }> {
    const item = await this.ownedItem(tenantId, domain, address, id);
    const target = to.trim().toLowerCase();
    const inbound = target.endsWith(`@${item.domain}`);
    if (!inbound) await this.refuseInfected(item, target);
    const now = new Date();
    const request: ForwardRequest = {
      tenantId,
      actor: principal.subject,
      itemId: item.id,
      to: target,
      now,
      windowMs: this.config.QUARANTINE_FORWARD_WINDOW,
      userLimit: this.config.QUARANTINE_FORWARD_USER_LIMIT,
      tenantLimit: this.config.QUARANTINE_FORWARD_TENANT_LIMIT,
    };
    const answer = (result: ForwardDecision): { submitId: string; repeated?: true } => {
      if (result.kind === 'limited') throw forwardLimited(result.scope, result.limit, this.config.QUARANTINE_FORWARD_WINDOW, result.retryAfterSeconds);
      return result.kind === 'repeat' ? { submitId: result.submitId, repeated: true } : { submitId: result.submitId };
    };
    const early = await this.repository.forwardPrecheck(request);
    if (early) return answer(early);

    const submitId = `quarantine-forward-${randomUUID()}`;
    const raw = withResentFields(await this.copyOf(item), {
      from: principal.address,
      fromName: `${this.config.TORII_BRAND} ${principal.via === 'api-key' ? 'API key' : principal.role} ${principal.subject}`,
      postmaster: `postmaster@${this.config.GATEWAY_HOSTNAME}`,
      to: target,
      date: now,
      messageId: `${submitId}@${this.config.GATEWAY_HOSTNAME}`,
    });
    const row = await this.submission(raw, {
      submitId,
      tenantId,
      domain: item.domain,
      purpose: 'quarantine-forward',
      direction: inbound ? Direction.INBOUND : Direction.OUTBOUND,
      mailFrom: '',
      to: [target],
      bypass: ['spam', 'audit'],
      related: item.messageId,
      now,
    });
    const result = await this.repository.forward(request, row, {
      actor: this.actor(principal, tenantId, item.domain),
      action: 'spam.quarantine.forward',
      target: item.id,
      details: { address: item.address, messageId: item.messageId, to: target, submitId },
    });
    // Refused or repeated under the lock: nothing references the copy stored above (its key is this request's
    // own). A failed transaction keeps it: a commit whose answer was lost may reference it.
    if (result.kind !== 'sent') await this.deleteSubmission(QuarantineObjects.submitKey(tenantId, submitId, now));
    return answer(result);
  }

  /** Best effort: a composed mail nothing will send. A failure leaves an object nothing references (logged). */
  private async deleteSubmission(key: string): Promise<void> {
    try {
      await this.objects.delete(key);
    } catch (error) {
      this.logger.warn(`quarantine: unsent copy ${key} not deleted: ${describeError(error)}`);
    }
  }

  /**
   * QA: a forward out of the domain of a message virus-scan found infected was answered 202, then delivery
   * dropped the copy (AV3: infected mail never leaves) and nobody was told. Within the domain it is delivered
   * like a release, the infected parts replaced by a notice (delivery applies the original's verdict to both).
   * So outside the domain it is refused, saying what was found and what can be done instead.
   */
  private async refuseInfected(item: ItemRow, target: string): Promise<void> {
    const findings = await this.repository.infected(item.messageId, item.tenantId);
    if (!findings) return;
    const found = [...new Set(findings.map((f) => (f.filename ? `${f.signature} in ${f.filename}` : f.signature)))].join(', ') || 'a virus';
    throw conflict(
      'message-infected',
      `the message was found infected (${found}); infected mail is not sent outside ${item.domain}, so it cannot be forwarded to ${target}. Release it, or forward it to an address of ${item.domain}: the infected parts are then replaced by a notice`,
      { findings },
    );
  }

  /** `verdict.virus`: an infected message is remembered (see refuseInfected); the rest is not kept. */
  async onVirusVerdict(verdict: VirusVerdict): Promise<void> {
    if (verdict.outcome?.failed || verdict.status !== VirusStatus.INFECTED || !verdict.messageId) return;
    await this.repository.recordInfected(
      verdict.messageId,
      verdict.tenantId,
      verdict.findings.map((f) => ({ part: f.part, filename: f.filename, signature: f.signature })),
    );
  }

  /**
   * Release: a new submission of the box's copy to the address; delivery skips the archive (which has the
   * original) but not virus checking (the original's verdict applies). The copy carries the original's verdict
   * as its first pass did (SPAM3, SPAM4; QA): the sender hop's Received line and Received-SPF on top of the box's
   * bytes (withArrivalTrace), and the original spam verdict published again for the release with "deliver", so
   * delivery stamps `X-<Brand>-Spam-Check` and `-Spam-Reasons` as on any inbound message and quarantines nothing.
   * The verdict goes out before the release commits (a failed publish changes nothing: 503, try again); a
   * release that then finds the item gone leaves a verdict for a submission never made, which nothing reads.
   * Without a spam record (none is kept for it) the box's bytes go as they are, the spam check bypassed.
   * The item leaves the box.
   */
  async releaseItem(item: ItemRow, actor: Actor, allowSender: boolean, principal?: Principal): Promise<{ submitId: string; allowed?: string; allowListActive?: boolean }> {
    const now = new Date();
    const submitId = `quarantine-release-${item.id}`;
    let allowed: string | undefined;
    if (allowSender) {
      allowed = bareAddress(item.sender);
      await this.allow(item, allowed, actor, principal);
    }
    const record = await this.scored.find(item.messageId);
    const input = record?.input as unknown as StoredInput | undefined;
    const mailFrom = input?.envelope.mailFrom ?? '';
    const boxed = await this.copyOf(item);
    const raw = input
      ? withArrivalTrace(boxed, input, { gateway: this.config.GATEWAY_HOSTNAME, messageId: item.messageId, recipient: item.address, fallbackDate: record?.scoredAt ?? item.quarantinedAt })
      : boxed;
    const verdict = record ? releaseVerdict(record.verdict, submitId, item.address) : undefined;
    const row = await this.submission(raw, {
      submitId,
      tenantId: item.tenantId,
      domain: item.domain,
      purpose: 'quarantine-release',
      direction: Direction.INBOUND,
      mailFrom,
      to: [item.address],
      bypass: verdict ? ['audit'] : ['spam', 'audit'],
      related: item.messageId,
      now,
    });
    if (verdict) await this.verdicts.publish(verdict);
    const removed = await this.repository.remove([item.id], (key) => this.objects.delete(key), this.quotaOf, {
      notices: [row],
      audit: { actor, action: allowSender ? 'spam.quarantine.release-allow' : 'spam.quarantine.release', target: item.id, details: { address: item.address, messageId: item.messageId, ...(allowed ? { allowed } : {}) } },
    });
    if (removed.length === 0) {
      // The item left the box after we read it. Released by a concurrent release (its notice is in the outbox,
      // kept a day): that release's answer; it is sent once. Deleted or expired: nothing is released (404).
      // The submission object stored above stays: the winner's may have the same key (the same submit id).
      if (!(await this.repository.hasNotice(submitId))) throw notFound(`quarantined message ${item.id}`);
    }
    if (!allowed) return { submitId };
    // The entry is kept either way; while the domain's rules come first it decides nothing (SPAM9): say so.
    return { submitId, allowed, allowListActive: await this.policies.listActive({ domain: item.domain, address: item.address }, 'allow') };
  }

  /**
   * The box's copy of an item read before: a copy gone with its item (deleted, released or expired since) is a
   * 404 for the action, as the item would be now; a copy gone while its item stays is an error.
   */
  private async copyOf(item: ItemRow): Promise<Buffer> {
    try {
      return await this.objects.read(item.objectKey);
    } catch (error) {
      if (error instanceof ObjectNotFoundError && !(await this.repository.item(item.id))) throw notFound(`quarantined message ${item.id}`);
      throw error;
    }
  }

  /** The address's allow list gets the sender (exact From address). An existing entry is fine. */
  private async allow(item: ItemRow, sender: string, actor: Actor, principal?: Principal): Promise<void> {
    if (!sender.includes('@')) throw unprocessable('no-sender', 'the message has no sender address to allow');
    // Without a principal the action comes from the box's own digest link: recorded as its user's.
    const as: Principal = principal ?? { subject: actor.principal.subject, role: 'user', tenantId: item.tenantId, address: item.address, via: 'jwt' };
    try {
      await this.policies.addEntry(item.tenantId, item.domain, item.address, { list: 'allow', field: 'from-address', match: 'exact', value: sender }, as, {
        ownDigestLink: principal === undefined,
      });
    } catch (error) {
      // An HttpException's `response` is only the detail text; the problem code is on the exception.
      if (error instanceof ProblemException && error.code === 'entry-exists') return;
      throw error;
    }
  }

  // ---- digests (SPAM13) ----

  linkUrl(item: ItemRow, purpose: LinkPurpose, now: Date): string {
    const token = signLink(this.config.QUARANTINE_LINK_SECRET, { p: purpose, i: item.id, a: item.address, e: Math.floor((now.getTime() + this.config.QUARANTINE_LINK_TTL) / 1000) });
    return `${this.config.QUARANTINE_PUBLIC_URL.replace(/\/$/, '')}/v1/quarantine/links/${token}`;
  }

  /** The due digests of all boxes (job), or of one box now (`address`). */
  async sendDigests(now = new Date(), address?: string): Promise<OutboxRow[]> {
    const compose = async (box: BoxRow, reader: { since(after: Date | null, take: number): Promise<ItemRow[]>; countSince(after: Date | null): Promise<number> }) => {
      const items = await reader.since(box.lastDigestAt, DIGEST_MAX_ITEMS);
      if (items.length === 0) return undefined;
      const total = await reader.countSince(box.lastDigestAt);
      const allowActive = await this.policies.listActive({ domain: box.domain, address: box.address }, 'allow');
      const submitId = `quarantine-digest-${box.address}-${now.getTime()}`.replace(/[^A-Za-z0-9_-]/g, '');
      const raw = await composeDigest({
        brand: this.config.TORII_BRAND,
        gatewayHostname: this.config.GATEWAY_HOSTNAME,
        to: box.address,
        submitId,
        now,
        lines: items.map((i) => ({ sender: i.sender, subject: i.subject, date: i.date, scorePercent: i.scorePercent, releaseUrl: this.linkUrl(i, 'release', now), ...(allowActive && { allowUrl: this.linkUrl(i, 'allow-sender', now) }) })),
        more: Math.max(0, total - items.length),
        restUrl: `${this.config.QUARANTINE_PUBLIC_URL.replace(/\/$/, '')}/v1/tenants/${box.tenantId}/domains/${box.domain}/spam/quarantine/addresses/${box.address}/items`,
      });
      return this.submission(raw, {
        submitId,
        tenantId: box.tenantId,
        domain: box.domain,
        purpose: 'quarantine-digest',
        direction: Direction.INBOUND,
        mailFrom: '',
        to: [box.address],
        bypass: ['spam', 'virus', 'audit'],
        related: '',
        now,
      });
    };
    return address ? this.repository.digestNow(address, now, compose) : this.repository.claimDueDigests(now, 50, compose);
  }

  async digestNow(tenantId: string, domain: string, address: string, principal: Principal): Promise<{ sent: boolean }> {
    const owned = await this.policies.ownedAddress(tenantId, domain, address);
    if (!(await this.repository.box(owned.address))) await this.repository.setBox({ address: owned.address, domain: owned.domain, tenantId }, {}, () => true, this.actor(principal, tenantId, owned.domain));
    const rows = await this.sendDigests(new Date(), owned.address);
    return { sent: rows.length > 0 };
  }

  async removeExpired(now = new Date()): Promise<number> {
    await this.repository.pruneInfected(new Date(now.getTime() - (MAX_RETENTION_DAYS + 1) * 86_400_000));
    let total = 0;
    for (;;) {
      const { found, removed } = await this.repository.removeExpired(now, 100, (key) => this.objects.delete(key), this.quotaOf);
      total += removed;
      if (found < 100) return total;
    }
  }

  /**
   * Deletes the box's copies that no item references and that are older than `graceMs`: those whose deletion
   * failed after their removal committed (S3 away for a moment). Without this they would outlive SPAM12's
   * retention. The grace leaves copies of admissions in progress alone (their item commits with them anyway).
   */
  async sweepCopies(now = new Date(), graceMs = 3_600_000): Promise<number> {
    let deleted = 0;
    let batch: { objectKey: string; messageId: string }[] = [];
    const flush = async () => {
      const referenced = await this.repository.referencedCopies(batch.map((c) => c.objectKey));
      const orphans = batch.filter((c) => !referenced.has(c.objectKey));
      if (orphans.length) deleted += await this.repository.deleteUnreferenced(orphans, (key) => this.objects.delete(key));
      batch = [];
    };
    for await (const object of this.objects.copies()) {
      const messageId = QuarantineObjects.messageOfCopy(object.key);
      if (!messageId || object.lastModified.getTime() > now.getTime() - graceMs) continue;
      batch.push({ objectKey: object.key, messageId });
      if (batch.length >= 500) await flush();
    }
    if (batch.length) await flush();
    return deleted;
  }

  // ---- helpers ----

  actor(principal: Pick<Principal, 'subject' | 'role'>, tenantId: string, domain: string): Actor {
    return { principal: { subject: principal.subject, role: principal.role }, tenantId, domain };
  }

  /** Stores a composed mail and returns its MailSubmit for the outbox. */
  private async submission(
    raw: Buffer,
    m: { submitId: string; tenantId: string; domain: string; purpose: string; direction: Direction; mailFrom: string; to: string[]; bypass: string[]; related: string; now: Date },
  ): Promise<OutboxRow> {
    const key = QuarantineObjects.submitKey(m.tenantId, m.submitId, m.now);
    const stored = await this.objects.put(key, raw);
    const submit: MailSubmit = create(MailSubmitSchema, {
      submitId: m.submitId,
      tenantId: m.tenantId,
      origin: 'spam-filter',
      purpose: m.purpose,
      direction: m.direction,
      envelope: { mailFrom: m.mailFrom, rcptTo: m.to.map((address) => ({ address, notify: m.purpose === 'quarantine-release' ? [] : [NotifyCondition.NEVER] })) },
      bucket: this.objects.bucket,
      objectKey: key,
      size: BigInt(stored.size),
      sha256: stored.sha256,
      bypass: m.bypass,
      relatedMessageId: m.related,
      domain: m.domain,
      submittedAt: timestampFromDate(m.now),
    });
    return { submitId: m.submitId, payload: Codecs.mailSubmit.encode(submit) };
  }
}

/**
 * The original's spam verdict for its released copy `submitId`: the same score, header value and evidence, and
 * "deliver" for the one address (a release is not judged again). Undefined when the stored verdict has no
 * header value (a failed one, which quarantines nothing).
 */
export function releaseVerdict(stored: Uint8Array, submitId: string, address: string): SpamVerdict | undefined {
  const original = Codecs.spamVerdict.decode(stored);
  if (original.outcome?.failed || !original.headerValue) return undefined;
  return create(SpamVerdictSchema, {
    messageId: submitId,
    tenantId: original.tenantId,
    outcome: { kind: VerdictKind.SPAM, decidedAt: timestampNow(), failed: false },
    scorePercent: original.scorePercent,
    headerValue: original.headerValue,
    explanation: original.explanation,
    modelVersion: original.modelVersion,
    recipients: [{ recipient: address, action: SpamAction.DELIVER, reason: 'quarantine-release' }],
  });
}
