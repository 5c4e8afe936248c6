import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { Codecs, type FeedbackMail, type MailReceived } from '@torii/contracts';
import { describeError } from '@torii/errors';
import { JetStreamPublisher, connectNats } from '@torii/messaging';
import { ObjectStore } from '@torii/storage';
import { createLogger, initMetrics, type Logger } from '@torii/telemetry';
import { MailAuthService } from './auth/mail-auth.service';
import type { EdgeConfig } from './config/edge-config';
import { DirectoryCache } from './directory/directory-cache';
import { fileResolver, systemResolver, type DnsResolver } from './dns/resolver';
import { AbortJournal } from './queue/abort-journal';
import { QueueService } from './queue/queue.service';
import { SpoolStateCache } from './spool/spool-state-cache';

/**
 * Everything the Haraka plugins share, built once per process: config, directory cache, DNS, object store,
 * publisher. Plugins reach it through `edgeRuntime()`; the NATS connection opens in `start()` (called from
 * the plugins' init_master/init_child hook) and closes in `stop()` (their shutdown).
 */
export class EdgeRuntime {
  readonly logger: Logger;
  readonly directory: DirectoryCache;
  /** SEC4: the spool's fill level and down domains. */
  readonly spoolState: SpoolStateCache;
  readonly resolver: DnsResolver;
  readonly auth: MailAuthService;
  readonly queue: QueueService;
  readonly store: ObjectStore;
  private readonly journal: AbortJournal;
  private connection: NatsConnection | undefined;
  private publisher: JetStreamPublisher | undefined;
  private starting: Promise<void> | undefined;
  private stopped = false;
  /** SMTP sessions open now; shutdown waits for them (up to SHUTDOWN_GRACE). */
  openConnections = 0;
  /** SMTP transactions between end of DATA and the reply; shutdown waits for them. */
  inFlight = 0;

  constructor(readonly config: EdgeConfig) {
    this.logger = createLogger({ name: 'edge-mta', level: config.LOG_LEVEL });
    initMetrics('edge-mta');
    this.directory = new DirectoryCache(config.DIRECTORY_BUCKET, this.logger);
    this.spoolState = new SpoolStateCache(config.SPOOL_STATE_BUCKET, this.logger);
    this.resolver = config.DNS_OVERRIDES_FILE
      ? fileResolver(config.DNS_OVERRIDES_FILE)
      : systemResolver({ servers: config.DNS_SERVERS, timeoutMs: config.DNS_TIMEOUT });
    this.auth = new MailAuthService(this.resolver, config.SMTP_HOSTNAME, this.logger);
    this.store = ObjectStore.fromEnv(config);
    this.journal = new AbortJournal(join(config.STATE_DIR, 'aborted-objects.txt'), (key) => this.store.delete(key), this.logger);
    this.queue = new QueueService(
      this.store,
      {
        publish: (subject, event, msgId) => this.publish(subject, event, msgId),
        publishFeedback: (subject, event, msgId) => this.publishFeedback(subject, event, msgId),
      },
      this.journal,
      config.SMTP_HOSTNAME,
      this.logger,
      config.SUBJECT_PREFIX,
    );
  }

  /** Idempotent; never throws and never blocks the SMTP listeners: NATS and S3 are retried in the background. */
  start(): Promise<void> {
    this.starting ??= this.connectLoop();
    this.journal.start();
    void this.ensureBucket();
    return Promise.resolve();
  }

  get natsConnected(): boolean {
    return this.connection !== undefined && !this.connection.isClosed();
  }

  private async connectLoop(): Promise<void> {
    while (!this.stopped && !this.connection) {
      try {
        const nc = await connectNats({ servers: this.config.NATS_URL, name: 'edge-mta', logger: this.natsLogger() });
        this.connection = nc;
        this.publisher = new JetStreamPublisher(nc, { timeoutMs: this.config.PUBLISH_TIMEOUT });
        this.directory.attach(nc);
        this.spoolState.attach(nc);
        void this.followStatus(nc);
      } catch (error) {
        this.logger.warn({ err: describeError(error) }, 'nats: not reachable, retrying');
        await new Promise((resolve) => setTimeout(resolve, 2_000));
      }
    }
  }

  /** A reconnect may have missed directory changes: load it again in full. */
  private async followStatus(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'reconnect') void this.directory.resync();
    }
  }

  private async ensureBucket(): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        await this.store.ensureBucket();
        return;
      } catch (error) {
        if (attempt === 0) this.logger.warn({ err: describeError(error) }, 'object store: bucket not ready, retrying');
        await new Promise((resolve) => setTimeout(resolve, 2_000));
      }
    }
  }

  private async publish(subject: string, event: MailReceived, msgId: string): Promise<void> {
    await this.connectedPublisher().publish(subject, Codecs.mailReceived, event, { msgId });
  }

  private async publishFeedback(subject: string, event: FeedbackMail, msgId: string): Promise<void> {
    await this.connectedPublisher().publish(subject, Codecs.feedbackMail, event, { msgId });
  }

  private connectedPublisher(): JetStreamPublisher {
    if (!this.publisher || !this.natsConnected) throw new Error('NATS not connected');
    return this.publisher;
  }

  private natsLogger() {
    return {
      log: (message: string) => this.logger.info(message),
      warn: (message: string) => this.logger.warn(message),
      error: (message: string) => this.logger.error(message),
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.journal.stop();
    this.directory.stop();
    this.spoolState.stop();
    const nc = this.connection;
    this.connection = undefined;
    if (nc) await nc.drain().catch(() => nc.close());
  }
}

let runtime: EdgeRuntime | undefined;

/** Set by main.ts before Haraka loads the plugins. */
export function setEdgeRuntime(value: EdgeRuntime): void {
  runtime = value;
}

export function edgeRuntime(): EdgeRuntime {
  if (!runtime) throw new Error('edge runtime not initialised: start the edge with main.ts');
  return runtime;
}
