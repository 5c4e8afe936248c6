// Read by the Prisma CLI (generate, migrate deploy): the JS schema engine over @torii/db's patched adapter.
import { defineServiceConfig } from '@torii/db';

export default defineServiceConfig({ schema: 'spool', root: __dirname });
