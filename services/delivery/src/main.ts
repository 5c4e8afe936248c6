import './instrument';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { describeError } from '@torii/errors';
import { createDeliveryApp } from './app';
import { loadDeliveryConfig } from './config/delivery.config';

async function main(): Promise<void> {
  const config = loadDeliveryConfig();
  const app = await createDeliveryApp(config);
  await app.listen(config.HTTP_PORT, config.HTTP_BIND_ADDRESS);
  new Logger('delivery').log(`listening on ${await app.getUrl()}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`delivery failed to start: ${describeError(error)}\n`);
  process.exit(1);
});
