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
import { ClamdClient, ClamdReplyError, ScannerUnavailableError, type ClamdSession } from './clamd.client';
import { MessageSource } from './message-source';
import { scanMimeParts } from './mime-walk';
import { VerdictPublisher } from './verdict.publisher';
import { SCAN_BUDGET_EXCEEDED, decideVerdict, type PartScan, type ScanStatus } from './verdict.rules';

const metrics = {
  scanned: counter('torii_virus_messages_scanned_total', 'Messages scanned, by verdict (failed: the stored message is gone) and direction', ['status', 'direction']),
  deferred: counter('torii_virus_scan_deferred_total', 'Scans that could not run: the message waits and is retried (clamd: down or slow; clamd-reply: an answer not understood, parked after 20 deliveries)', ['reason']),
  overBudget: counter('torii_virus_scan_budget_exceeded_total', 'Messages whose scan ran past SCAN_MESSAGE_BUDGET while clamd answered: unscannable, the rest not scanned'),
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
 * message waits in delivery (fail closed); no verdict is ever made up. clamd answering that it cannot scan a
 * part (too long for its StreamMaxLength, a limit, broken data) → that part is unscannable at once; clamd
 * answering nonsense → ClamdReplyError (not transient: parked after 20 deliveries). SCAN_MESSAGE_BUDGET bounds
 * a message's scan: past it, with clamd still answering, the rest is not scanned and the message is unscannable. The stored message gone (a definite
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
      if (error instanceof ClamdReplyError) metrics.deferred.inc({ reason: 'clamd-reply' });
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
    // The budget is looked at before each scan starts; a scan under way keeps its own CLAMD_TIMEOUT. So a slow
    // but answering clamd makes the message unscannable, and a clamd that stops answering is an outage (retried).
    const budgetEnds = Date.now() + this.config.SCAN_MESSAGE_BUDGET;
    const overBudget = () => (Date.now() >= budgetEnds ? SCAN_BUDGET_EXCEEDED : undefined);
    const whole = await session.scan(message);
    message.destroy(); // read to its end, or refused by clamd (then the rest is not needed)
    let subject = '';
    let parts: PartScan[];
    if (overBudget()) {
      parts = [{ part: '', filename: '', body: true, signatures: [SCAN_BUDGET_EXCEEDED] }];
    } else {
      parts = await scanMimeParts(await this.source.open(objectKey), (info, decoded) => session.scan(decoded), {
        onSubject: (s) => (subject = s),
        stopBefore: overBudget,
      });
    }
    if (parts.some((p) => p.signatures.includes(SCAN_BUDGET_EXCEEDED))) {
      metrics.overBudget.inc();
      this.logger.warn(`${objectKey}: scan time budget (${this.config.SCAN_MESSAGE_BUDGET} ms) exceeded after ${parts.length - 1} parts; the rest is not scanned`);
    }
    return { verdict: decideVerdict(parts, { part: '*', filename: '', body: false, signatures: whole }), engine: session.engine, subject };
  }
}
