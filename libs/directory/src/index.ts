export { KvDirectoryCache } from './directory-cache';
