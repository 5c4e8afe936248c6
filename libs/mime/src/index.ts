export { HeaderBlock, HeaderRewriter, HeaderTooLargeError } from './header-rewriter';
export { linearMailsplitHeaders, mailsplitParseHeaders } from './mailsplit-headers';
export {
  authservId,
  formatReceived,
  formatReceivedSpf,
  rfc5322Date,
  stampDeliveryHeaders,
  type DeliveryStamp,
  type SpfCheck,
} from './trace-headers';
