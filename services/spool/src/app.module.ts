import { Module, type DynamicModule } from '@nestjs/common';
import { AuthModule } from '@torii/auth';
import { MessagingModule } from '@torii/messaging';
import { ObjectStore } from '@torii/storage';
import { CapacityService } from './capacity/capacity.service';
import { SpoolStateRepository } from './capacity/spool-state.repository';
import { SPOOL_CONFIG, type SpoolConfig } from './config/spool.config';
import { DirectoryRepository } from './directory/directory.repository';
import { SpoolController } from './http/spool.controller';
import { SpoolQueryService } from './http/spool-query.service';
import { RecoveryService } from './recovery/recovery.service';
import { CLOCK, systemClock, type Clock } from './schedule/clock';
import { DelayNoticeService } from './spool/delay-notice.service';
import { SpoolIntakeService } from './spool/intake.service';
import { MessageObjects } from './spool/message-objects.repository';
import { SpoolBus } from './spool/spool-bus.repository';
import { SpoolDb } from './spool/spool-db';
import { SpoolRepository } from './spool/spool.repository';
import { SpoolWorker } from './spool/spool.worker';
import { StatusConsumer } from './spool/status.consumer';
import { SPOOL_STREAMS } from './spool/streams';

export interface SpoolOverrides {
  /** Replaces the system clock (tests). */
  clock?: Clock;
}

@Module({})
export class SpoolModule {
  static forRoot(config: SpoolConfig, overrides: SpoolOverrides = {}): DynamicModule {
    return {
      module: SpoolModule,
      imports: [
        MessagingModule.forRoot({ servers: config.NATS_URL, name: 'spool', streams: SPOOL_STREAMS }),
        AuthModule.forRoot({ jwks: { url: `${config.TENANT_URL}/.well-known/jwks.json` }, tenantUrl: config.TENANT_URL }),
      ],
      controllers: [StatusConsumer, SpoolController],
      providers: [
        { provide: SPOOL_CONFIG, useValue: config },
        { provide: CLOCK, useValue: overrides.clock ?? systemClock },
        {
          provide: ObjectStore,
          useFactory: async () => {
            const store = ObjectStore.fromEnv(config);
            await store.ensureBucket();
            return store;
          },
        },
        SpoolDb,
        SpoolRepository,
        SpoolBus,
        MessageObjects,
        DirectoryRepository,
        SpoolStateRepository,
        DelayNoticeService,
        RecoveryService,
        CapacityService,
        SpoolWorker,
        SpoolIntakeService,
        SpoolQueryService,
      ],
    };
  }
}
