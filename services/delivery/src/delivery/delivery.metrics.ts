import { counter } from '@torii/telemetry';

/** Each recipient outcome written: after an attempt (delivered, deferred, bounced), or by the verdict join (quarantined, dropped, held, bounced). */
export const recipientOutcomes = counter('torii_delivery_recipients_total', 'Recipient outcomes written, by direction and state', ['direction', 'state']);
