import './instrument';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { describeError } from '@torii/errors';
import { createSpamFilterApp } from './app';
import { loadSpamFilterConfig } from './config';

async function main(): Promise<void> {
  const config = loadSpamFilterConfig();
  const app = await createSpamFilterApp(config);
  await app.listen(config.HTTP_PORT, config.HTTP_BIND_ADDRESS);
  new Logger('spam-filter').log(`listening on ${await app.getUrl()}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`spam-filter failed to start: ${describeError(error)}\n`);
  process.exit(1);
});
