// Loaded first by main.ts: tracing must patch modules before they are required. The edge's publish of
// MailReceived opens the trace that every service then continues (traceparent on the NATS message).
import { startTelemetry } from '@torii/telemetry';

startTelemetry({ serviceName: 'edge-mta' });
