import { Module, type DynamicModule } from '@nestjs/common';
import { AuthModule } from '@torii/auth';
import { MessagingModule } from '@torii/messaging';
import { ObjectStore } from '@torii/storage';
import { VIRUS_SCAN_CONFIG, type VirusScanConfig } from './config/virus-scan.config';
import { VirusDb } from './db/virus-db';
import { DetectionsController } from './detections/detections.controller';
import { DetectionsService } from './detections/detections.service';
import { ScansRepository } from './detections/scans.repository';
import { DirectoryCache } from './directory/directory.cache';
import { VIRUS_SCAN_STREAMS } from './messaging/streams';
import { ClamdClient } from './scan/clamd.client';
import { MailConsumer } from './scan/mail.consumer';
import { MessageSource } from './scan/message-source';
import { ScanService } from './scan/scan.service';
import { VerdictPublisher } from './scan/verdict.publisher';
import { WarningService } from './warnings/warning.service';

@Module({})
export class VirusScanModule {
  static forRoot(config: VirusScanConfig): DynamicModule {
    return {
      module: VirusScanModule,
      imports: [
        MessagingModule.forRoot({ servers: config.NATS_URL, name: 'virus-scan', streams: VIRUS_SCAN_STREAMS }),
        AuthModule.forRoot({ jwks: { url: `${config.TENANT_URL}/.well-known/jwks.json` }, tenantUrl: config.TENANT_URL }),
      ],
      controllers: [MailConsumer, DetectionsController],
      providers: [
        { provide: VIRUS_SCAN_CONFIG, useValue: config },
        {
          provide: ObjectStore,
          useFactory: async () => {
            const store = ObjectStore.fromEnv(config);
            await store.ensureBucket();
            return store;
          },
        },
        VirusDb,
        ScansRepository,
        DirectoryCache,
        MessageSource,
        ClamdClient,
        VerdictPublisher,
        WarningService,
        ScanService,
        DetectionsService,
      ],
    };
  }
}
