import { codecFor } from './codec';
import { MailReceivedSchema } from './gen/torii/mail/v1/mail_received_pb';
import { MailSubmitSchema } from './gen/torii/mail/v1/mail_submit_pb';
import { DeliveryRetrySchema, DeliveryStatusSchema } from './gen/torii/mail/v1/delivery_pb';
import { SpoolStateSchema } from './gen/torii/mail/v1/spool_pb';
import { DirectoryChangedSchema, DomainDirectorySchema } from './gen/torii/mail/v1/directory_pb';
import { FeedbackMailSchema } from './gen/torii/mail/v1/feedback_mail_pb';
import { TenantChangedSchema } from './gen/torii/mail/v1/tenant_pb';
import { AuditVerdictSchema, SpamVerdictSchema, VirusVerdictSchema } from './gen/torii/mail/v1/verdicts_pb';

/** One ready codec per event and snapshot type, so producers and consumers share a single instance. */
export const Codecs = {
  mailReceived: codecFor(MailReceivedSchema),
  mailSubmit: codecFor(MailSubmitSchema),
  feedbackMail: codecFor(FeedbackMailSchema),
  spamVerdict: codecFor(SpamVerdictSchema),
  virusVerdict: codecFor(VirusVerdictSchema),
  auditVerdict: codecFor(AuditVerdictSchema),
  deliveryStatus: codecFor(DeliveryStatusSchema),
  deliveryRetry: codecFor(DeliveryRetrySchema),
  spoolState: codecFor(SpoolStateSchema),
  directoryChanged: codecFor(DirectoryChangedSchema),
  domainDirectory: codecFor(DomainDirectorySchema),
  tenantChanged: codecFor(TenantChangedSchema),
} as const;
