import { Logger } from '@nestjs/common';
import type { CapacityService } from '../capacity/capacity.service';
import { spoolConfigSchema } from '../config/spool.config';
import type { RecoveryService } from '../recovery/recovery.service';
import type { DelayNoticeService } from './delay-notice.service';
import type { SpoolBus } from './spool-bus.repository';
import type { SpoolRepository } from './spool.repository';
import { SpoolWorker } from './spool.worker';

const config = spoolConfigSchema.parse({
  NATS_URL: 'nats://127.0.0.1:1',
  DATABASE_URL: 'postgresql://127.0.0.1:1/none',
  S3_ENDPOINT: 'http://127.0.0.1:1',
  S3_BUCKET: 'none',
  GATEWAY_HOSTNAME: 'gw.torii.test',
});

function worker(failing: Partial<Record<'expireDue' | 'pruneResolved' | 'delayNoticesDue' | 'claimDue' | 'probe' | 'publish', boolean>>) {
  const calls: string[] = [];
  const run = (name: keyof typeof failing, value: unknown) => async () => {
    calls.push(name);
    if (failing[name]) throw new Error(`${name} broke`);
    return value;
  };
  const repository = { expireDue: run('expireDue', 0), pruneResolved: run('pruneResolved', 0), delayNoticesDue: run('delayNoticesDue', 0), claimDue: run('claimDue', 0) };
  const recovery = { probeDownServers: run('probe', 0) };
  const capacity = { publish: run('publish', undefined) };
  const spoolWorker = new SpoolWorker(
    repository as unknown as SpoolRepository,
    {} as SpoolBus,
    {} as DelayNoticeService,
    recovery as unknown as RecoveryService,
    capacity as unknown as CapacityService,
    { now: () => new Date() },
    config,
  );
  return { spoolWorker, calls };
}

describe('SpoolWorker.step', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('runs every part of the round when each works', async () => {
    const { spoolWorker, calls } = worker({});
    await expect(spoolWorker.step()).resolves.toBe(false);
    expect(calls).toEqual(['expireDue', 'pruneResolved', 'delayNoticesDue', 'claimDue', 'probe', 'publish']);
  });

  it('still retries, probes and publishes the edge state when the expiry and the notices fail', async () => {
    const { spoolWorker, calls } = worker({ expireDue: true, pruneResolved: true, delayNoticesDue: true });
    await expect(spoolWorker.step()).resolves.toBe(false);
    expect(calls).toEqual(['expireDue', 'pruneResolved', 'delayNoticesDue', 'claimDue', 'probe', 'publish']);
  });

  it('still publishes the edge state when the retries and the probe fail, and publishes again next round when that fails', async () => {
    const { spoolWorker, calls } = worker({ claimDue: true, probe: true, publish: true });
    await spoolWorker.step();
    expect(calls).toEqual(['expireDue', 'pruneResolved', 'delayNoticesDue', 'claimDue', 'probe', 'publish']);
    calls.length = 0;
    await spoolWorker.step();
    expect(calls).toEqual(['expireDue', 'pruneResolved', 'delayNoticesDue', 'claimDue', 'publish']); // no probe before PROBE_INTERVAL
  });
});
