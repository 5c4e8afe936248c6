export { isTombstone, KvDirectoryCache } from './directory-cache';
