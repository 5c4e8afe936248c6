import { counter } from '@torii/telemetry';

/** Each recipient outcome written: after an attempt (delivered, deferred, bounced), or by the verdict join (quarantined, dropped, held, bounced). */
export const recipientOutcomes = counter('torii_delivery_recipients_total', 'Recipient outcomes written, by direction and state', ['direction', 'state']);

/** Claims a worker stopped sending because their lease was taken over or could not be renewed in time. */
export const claimsLost = counter('torii_delivery_claims_lost_total', 'Claims whose delivery stopped before a further SMTP transaction: lease taken over or not renewed for a lease');
