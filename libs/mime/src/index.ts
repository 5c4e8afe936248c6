export { HeaderBlock, HeaderRewriter, HeaderTooLargeError } from './header-rewriter';
export {
  authservId,
  formatReceived,
  formatReceivedSpf,
  rfc5322Date,
  stampDeliveryHeaders,
  type DeliveryStamp,
  type SpfCheck,
} from './trace-headers';
