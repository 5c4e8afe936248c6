// Loaded first by main.ts: tracing must patch modules before they are required.
import { startTelemetry } from '@torii/telemetry';

startTelemetry({ serviceName: 'delivery' });
