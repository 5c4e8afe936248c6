import './instrument';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { describeError } from '@torii/errors';
import { createSpoolApp } from './app';
import { loadSpoolConfig } from './config/spool.config';

async function main(): Promise<void> {
  const config = loadSpoolConfig();
  const app = await createSpoolApp(config);
  app.enableShutdownHooks();
  await app.listen(config.HTTP_PORT, config.HTTP_BIND_ADDRESS);
  new Logger('spool').log(`listening on ${await app.getUrl()}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`spool failed to start: ${describeError(error)}\n`);
  process.exit(1);
});
