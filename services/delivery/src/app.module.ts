import { Module, type DynamicModule } from '@nestjs/common';
import { AuthModule, type JwksOption } from '@torii/auth';
import { parseDuration } from '@torii/config';
import { MessagingModule } from '@torii/messaging';
import { ObjectStore } from '@torii/storage';
import { DELIVERY_CONFIG, type DeliveryConfig } from './config/delivery.config';
import { DEFERRAL_HANDLER, LocalRetryDeferralHandler, type DeferralHandler } from './delivery/deferral.handler';
import { DeliveryExecutor } from './delivery/delivery.executor';
import { DeliveryWorker } from './delivery/delivery.worker';
import { IntakeService } from './delivery/intake.service';
import { MessageContent } from './delivery/message-content';
import { DirectoryCache } from './directory/directory.cache';
import { ReleaseVerdictsRepository } from './quarantine/release-verdicts.repository';
import { DsnService } from './dsn/dsn.service';
import { MessagesController } from './http/messages.controller';
import { MessagesService } from './http/messages.service';
import { MailConsumer } from './messaging/mail.consumer';
import { OutboxRelay } from './messaging/outbox.relay';
import { DELIVERY_STREAMS } from './messaging/streams';
import { DeliveryDb } from './persistence/delivery-db';
import { DeliveryRepository } from './persistence/delivery.repository';
import { MessageObjects } from './persistence/message-objects';
import { ReconciliationService } from './reconcile/reconciliation.service';
import { retrySchedule } from './retry/retry-schedule.rules';
import { DNS_RESOLVER, StaticDnsResolver, systemResolver, type DnsResolver } from './routing/resolver';
import { RouterService } from './routing/router.service';
import { SpoolDeferralHandler } from './spool/spool-deferral.handler';
import { SpoolRetryConsumer } from './spool/spool-retry.consumer';
import { SpoolRetryRepository } from './spool/spool-retry.repository';
import { SpoolRetryService } from './spool/spool-retry.service';
import { JoinService } from './verdicts/join.service';

export interface DeliveryOverrides {
  /** Replaces DNS (tests inject records). */
  resolver?: DnsResolver;
  deferral?: DeferralHandler;
  /** Replaces the tenant service's JWKS (tests sign their own tokens; then no session check either). */
  jwks?: JwksOption;
}

@Module({})
export class DeliveryModule {
  static forRoot(config: DeliveryConfig, overrides: DeliveryOverrides = {}): DynamicModule {
    const resolver =
      overrides.resolver ??
      (config.DNS_OVERRIDES_FILE ? StaticDnsResolver.fromFile(config.DNS_OVERRIDES_FILE) : systemResolver(config.DNS_SERVERS));
    const delays = config.RETRY_DELAYS.map((d) => {
      const ms = parseDuration(d);
      if (ms === undefined) throw new Error(`RETRY_DELAYS: not a duration: ${d}`);
      return ms;
    });
    const deferral =
      overrides.deferral ??
      (config.DEFERRAL_MODE === 'spool'
        ? new SpoolDeferralHandler(config.SPOOL_PARK)
        : new LocalRetryDeferralHandler(retrySchedule(delays, config.RETRY_JITTER, config.RETRY_GIVE_UP)));
    return {
      module: DeliveryModule,
      imports: [
        MessagingModule.forRoot({ servers: config.NATS_URL, name: 'delivery', streams: DELIVERY_STREAMS }),
        AuthModule.forRoot({
          jwks: overrides.jwks ?? { url: `${config.TENANT_URL}/.well-known/jwks.json` },
          tenantUrl: config.TENANT_URL,
          // Tokens signed by a test for users no tenant service knows: signature and expiry only.
          ...(overrides.jwks && { sessionVerifier: false as const }),
        }),
      ],
      controllers: [MailConsumer, MessagesController, SpoolRetryConsumer],
      providers: [
        { provide: DELIVERY_CONFIG, useValue: config },
        { provide: DNS_RESOLVER, useValue: resolver },
        { provide: DEFERRAL_HANDLER, useValue: deferral },
        {
          provide: ObjectStore,
          useFactory: async () => {
            const store = ObjectStore.fromEnv(config);
            await store.ensureBucket();
            return store;
          },
        },
        DeliveryDb,
        DeliveryRepository,
        ReleaseVerdictsRepository,
        MessageObjects,
        DirectoryCache,
        RouterService,
        MessageContent,
        JoinService,
        DeliveryExecutor,
        DsnService,
        OutboxRelay,
        DeliveryWorker,
        IntakeService,
        ReconciliationService,
        MessagesService,
        SpoolRetryRepository,
        SpoolRetryService,
      ],
    };
  }
}
