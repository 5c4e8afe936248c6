import { Codecs, Streams, Subjects } from '@torii/contracts';
import { streamSpecOf, type ConsumerSpec, type StreamSpec } from '@torii/messaging';
import type { VirusScanConfig } from '../config/virus-scan.config';

/** MAIL (what we read, and mail.submit for warnings) and VERDICTS (what we write). */
export const VIRUS_SCAN_STREAMS: StreamSpec[] = [Streams.MAIL, Streams.VERDICTS].map(streamSpecOf);

/** One durable consumer over both directions (NATS 2.9: one filter subject, `mail.received.*`). */
export function virusScanConsumers(config: VirusScanConfig): ConsumerSpec[] {
  return [
    {
      durable: 'virus-scan',
      stream: 'MAIL',
      filterSubject: Subjects.mailReceivedAny,
      maxDeliver: config.SCAN_MAX_DELIVER,
      // A 100 MB message scanned part by part can take a while; the runner also sends working() meanwhile.
      ackWaitMs: 60_000,
      concurrency: config.SCAN_CONCURRENCY,
      codecs: { [Subjects.mailReceivedAny]: Codecs.mailReceived },
    },
  ] as ConsumerSpec[];
}
