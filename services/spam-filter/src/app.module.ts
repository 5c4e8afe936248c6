import { Module, type DynamicModule } from '@nestjs/common';
import { AuthModule, type JwksOption } from '@torii/auth';
import { MessagingModule } from '@torii/messaging';
import { ObjectStore } from '@torii/storage';
import { AuditController } from './audit/audit.controller';
import { AuditService } from './audit/audit.service';
import { SPAM_FILTER_CONFIG, type SpamFilterConfig } from './config';
import { PrismaService } from './db/prisma.service';
import { AddressCleanupService } from './directory/address-cleanup.service';
import { DirectoryCache } from './directory/directory.cache';
import { DirectoryConsumer } from './directory/directory.consumer';
import { FeedbackMailConsumer } from './feedback/feedback-mail.consumer';
import { FeedbackMailRepository } from './feedback/feedback-mail.repository';
import { FeedbackMailService } from './feedback/feedback-mail.service';
import { FeedbackController } from './feedback/feedback.controller';
import { FeedbackRepository } from './feedback/feedback.repository';
import { FeedbackService } from './feedback/feedback.service';
import { SPAM_FILTER_STREAMS } from './messaging/streams';
import { DeltaRepository } from './model/delta.repository';
import { ModelController } from './model/model.controller';
import { ModelService } from './model/model.service';
import { AddressPolicyController, DomainPolicyController } from './policy/policy.controller';
import { PolicyRepository } from './policy/policy.repository';
import { PolicyService } from './policy/policy.service';
import { QuarantineLinksController } from './quarantine/quarantine-links.controller';
import { QuarantineLinksService } from './quarantine/quarantine-links.service';
import { QuarantineBoxController, QuarantineDomainController } from './quarantine/quarantine.controller';
import { QuarantineConsumer } from './quarantine/quarantine.consumer';
import { QuarantineJobs } from './quarantine/quarantine.jobs';
import { QuarantineObjects } from './quarantine/quarantine.objects';
import { QuarantineRepository } from './quarantine/quarantine.repository';
import { QuarantineService } from './quarantine/quarantine.service';
import { ReportsController } from './reports/reports.controller';
import { ReportsRepository } from './reports/reports.repository';
import { ReportsService } from './reports/reports.service';
import { MessageStoreRepository } from './scoring/message-store.repository';
import { ScoredRepository } from './scoring/scored.repository';
import { ScoringConsumer } from './scoring/scoring.consumer';
import { ScoringService } from './scoring/scoring.service';
import { VerdictPublisher } from './scoring/verdict.publisher';
import { VerdictsController } from './verdicts/verdicts.controller';
import { VerdictsService } from './verdicts/verdicts.service';

export interface SpamFilterOverrides {
  /** Replaces the tenant service's JWKS (tests sign their own tokens; then no session check either). */
  jwks?: JwksOption;
}

@Module({})
export class AppModule {
  static forRoot(config: SpamFilterConfig, overrides: SpamFilterOverrides = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        MessagingModule.forRoot({ servers: config.NATS_URL, name: 'spam-filter', streams: SPAM_FILTER_STREAMS }),
        AuthModule.forRoot({
          jwks: overrides.jwks ?? { url: `${config.TENANT_URL}/.well-known/jwks.json` },
          tenantUrl: config.TENANT_URL,
          // Tokens signed by a test for users no tenant service knows: signature and expiry only.
          ...(overrides.jwks && { sessionVerifier: false as const }),
        }),
      ],
      controllers: [ScoringConsumer, DomainPolicyController, AddressPolicyController, FeedbackController, ReportsController, ModelController, QuarantineConsumer, QuarantineDomainController, QuarantineBoxController, QuarantineLinksController, VerdictsController, AuditController, DirectoryConsumer, FeedbackMailConsumer],
      providers: [
        { provide: SPAM_FILTER_CONFIG, useValue: config },
        { provide: PrismaService, useFactory: () => new PrismaService(config.DATABASE_URL) },
        {
          provide: ObjectStore,
          useFactory: async () => {
            const store = ObjectStore.fromEnv(config);
            await store.ensureBucket();
            return store;
          },
        },
        DirectoryCache,
        MessageStoreRepository,
        ScoredRepository,
        VerdictsService,
        AuditService,
        AddressCleanupService,
        VerdictPublisher,
        DeltaRepository,
        ModelService,
        PolicyRepository,
        PolicyService,
        ScoringService,
        FeedbackRepository,
        FeedbackService,
        FeedbackMailRepository,
        FeedbackMailService,
        ReportsRepository,
        ReportsService,
        QuarantineRepository,
        QuarantineObjects,
        QuarantineService,
        QuarantineJobs,
        QuarantineLinksService,
      ],
    };
  }
}
