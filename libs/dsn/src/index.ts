// Delivery status notifications (RFC 3464 reports, RFC 3461 NOTIFY/RET/ENVID/ORCPT): pure composition,
// shared by delivery (failure DSNs) and spool (delay DSNs).
export {
  DEFAULT_FULL_RETURN_LIMIT,
  composeDelayDsn,
  composeFailureDsn,
  delayDsnRecipients,
  failureDsnRecipients,
  headerSection,
  publicDiagnostic,
  returnMode,
  wantsDelayNotice,
  wantsFailureNotice,
  type DelayDsnInput,
  type DsnInput,
  type DsnRecipient,
  type DsnReturnMode,
  type ReturnedContent,
} from './dsn.rules';
