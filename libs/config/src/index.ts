export { ConfigError, loadConfig, parseConfig, type Env } from './config';
export {
  authFields,
  bool,
  commonFields,
  databaseFields,
  duration,
  list,
  logLevel,
  parseDuration,
  port,
  positiveInt,
  storageFields,
  url,
} from './fields';
export { z } from 'zod';
