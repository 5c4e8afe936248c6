import './instrument';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { describeError } from '@torii/errors';
import { createVirusScanApp } from './app';
import { loadVirusScanConfig } from './config/virus-scan.config';

async function main(): Promise<void> {
  const config = loadVirusScanConfig();
  const app = await createVirusScanApp(config);
  await app.listen(config.HTTP_PORT, config.HTTP_BIND_ADDRESS);
  new Logger('virus-scan').log(`listening on ${await app.getUrl()}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`virus-scan failed to start: ${describeError(error)}\n`);
  process.exit(1);
});
