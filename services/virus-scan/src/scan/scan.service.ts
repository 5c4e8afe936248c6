import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  Direction,
  VerdictKind,
  VirusStatus,
  VirusVerdictSchema,
  create,
  timestampFromDate,
  type MailReceived,
  type VirusVerdict,
} from '@torii/contracts';
import { ObjectNotFoundError } from '@torii/storage';
import { counter, histogram } from '@torii/telemetry';
import { VIRUS_SCAN_CONFIG, type VirusScanConfig } from '../config/virus-scan.config';
import { ScansRepository } from '../detections/scans.repository';
import { DirectoryCache } from '../directory/directory.cache';
import { WarningService } from '../warnings/warning.service';
import { ClamdClient, ScannerUnavailableError, type ClamdSession } from './clamd.client';
import { MessageSource } from './message-source';
import { scanMimeParts } from './mime-walk';
import { VerdictPublisher } from './verdict.publisher';
import { decideVerdict, type ScanStatus } from './verdict.rules';

const metrics = {
  scanned: counter('torii_virus_messages_scanned_total', 'Messages scanned, by verdict (failed: the stored message is gone) and direction', ['status', 'direction']),
  deferred: counter('torii_virus_scan_deferred_total', 'Scans that could not run (clamd down or slow): the message waits and is retried', ['reason']),
  seconds: histogram('torii_virus_scan_seconds', 'Time to scan one message (whole and every part)', [], [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]),
};

const STATUS: Record<ScanStatus, VirusStatus> = {
  clean: VirusStatus.CLEAN,
  infected: VirusStatus.INFECTED,
  unscannable: VirusStatus.UNSCANNABLE,
};

/**
 * Scans one received message for a domain that subscribes to virus checking: the whole message and every
 * MIME part on its own (so the verdict names the part), records it, warns on infection and publishes the
 * verdict. clamd away → ScannerUnavailableError (temporary): the event is nak'ed with back-off and the
 * message waits in delivery (fail closed); no verdict is ever made up. The stored message gone (a definite
 * "no such object", which no retry changes) → a failed verdict at once, as spam-filter does: delivery applies
 * the domain's `on_failure` rule instead of waiting out VERDICT_TIMEOUT_VIRUS for a dead letter.
 */
@Injectable()
export class ScanService {
  private readonly logger = new Logger(ScanService.name);

  constructor(
    private readonly directory: DirectoryCache,
    private readonly clamd: ClamdClient,
    private readonly source: MessageSource,
    private readonly scans: ScansRepository,
    private readonly warnings: WarningService,
    private readonly publisher: VerdictPublisher,
    @Inject(VIRUS_SCAN_CONFIG) private readonly config: VirusScanConfig,
  ) {}

  async scanReceived(event: MailReceived): Promise<void> {
    const entry = await this.directory.lookup(event.domain);
    if (!entry?.services?.virus?.subscribed) return;
    const direction = event.direction === Direction.OUTBOUND ? 'outbound' : 'inbound';
    const started = process.hrtime.bigint();
    let result: Awaited<ReturnType<ScanService['scan']>>;
    try {
      result = await this.scan(event.objectKey);
    } catch (error) {
      if (error instanceof ScannerUnavailableError) metrics.deferred.inc({ reason: 'clamd' });
      if (error instanceof ObjectNotFoundError) {
        this.logger.error(`message ${event.messageId}: object ${event.objectKey} is gone; publishing a failed verdict`);
        await this.publisher.verdict(this.failed(event, 'message object not found'));
        metrics.scanned.inc({ status: 'failed', direction });
        return;
      }
      throw error;
    }
    metrics.seconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    const { verdict, engine, subject } = result;
    const now = new Date();
    await this.scans.record({
      messageId: event.messageId,
      tenantId: event.tenantId,
      domain: event.domain.toLowerCase(),
      direction,
      status: verdict.status,
      findings: verdict.findings,
      engine,
      at: now,
    });
    if (verdict.status === 'infected') await this.warnings.warn(event, entry, direction, verdict.findings, subject);
    await this.publisher.verdict(
      create(VirusVerdictSchema, {
        messageId: event.messageId,
        tenantId: event.tenantId,
        outcome: { kind: VerdictKind.VIRUS, decidedAt: timestampFromDate(now), failed: false },
        status: STATUS[verdict.status],
        findings: verdict.findings,
        engine,
      }),
    );
    metrics.scanned.inc({ status: verdict.status, direction });
    if (verdict.status !== 'clean') {
      this.logger.log(`message ${event.messageId}: ${verdict.status} ${verdict.findings.map((f) => `${f.part || 'body'}=${f.signature}`).join(' ')}`);
    }
  }

  private failed(event: MailReceived, reason: string): VirusVerdict {
    return create(VirusVerdictSchema, {
      messageId: event.messageId,
      tenantId: event.tenantId,
      outcome: { kind: VerdictKind.VIRUS, decidedAt: timestampFromDate(new Date()), failed: true, failureReason: reason },
    });
  }

  private async scan(objectKey: string) {
    // The object first: a message that is gone gets its (failed) verdict even while clamd is away.
    const message = await this.source.open(objectKey);
    let session: ClamdSession;
    try {
      session = await this.clamd.session();
    } catch (error) {
      message.destroy();
      throw error;
    }
    const whole = await session.scan(message);
    let subject = '';
    const parts = await scanMimeParts(await this.source.open(objectKey), (info, decoded) => session.scan(decoded), (s) => (subject = s));
    return { verdict: decideVerdict(parts, { part: '*', filename: '', body: false, signatures: whole }), engine: session.engine, subject };
  }
}
