export { HeaderBlock, HeaderRewriter, HeaderTooLargeError } from './header-rewriter';
export { authservId, formatReceived, rfc5322Date, stampDeliveryHeaders, type DeliveryStamp } from './trace-headers';
