import { Controller, UseFilters } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Subjects, type DirectoryChanged } from '@torii/contracts';
import { JetStreamExceptionFilter } from '@torii/messaging';
import { AddressCleanupService } from './address-cleanup.service';

/** `directory.changed`: what deleted addresses and domains leave behind is removed (see AddressCleanupService). */
@Controller()
@UseFilters(new JetStreamExceptionFilter())
export class DirectoryConsumer {
  constructor(private readonly cleanup: AddressCleanupService) {}

  @EventPattern(Subjects.directoryChanged)
  changed(@Payload() event: DirectoryChanged): Promise<void> {
    return this.cleanup.changed(event);
  }
}
