import { ClaimLease } from './claim-lease';

describe('ClaimLease', () => {
  beforeEach(() => jest.useFakeTimers({ now: new Date('2026-12-08T00:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  it('stays held while renewals find the claim, past its first lease', async () => {
    const lease = new ClaimLease(async () => 2, 3_000, Date.now());
    const stop = lease.start();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(lease.lost).toBe(false);
    stop();
  });

  it('is lost as soon as a renewal finds no recipient under the claim (taken over)', async () => {
    let held = 1;
    const lease = new ClaimLease(async () => held, 3_000, Date.now());
    const stop = lease.start();
    await jest.advanceTimersByTimeAsync(1_000);
    expect(lease.lost).toBe(false);
    held = 0;
    await jest.advanceTimersByTimeAsync(1_000);
    expect(lease.lost).toBe(true);
    held = 1; // a later renewal does not bring a lost claim back
    await jest.advanceTimersByTimeAsync(1_000);
    expect(lease.lost).toBe(true);
    stop();
  });

  it('is lost once renewals have failed for a whole lease, counted from the last one that succeeded', async () => {
    const errors: unknown[] = [];
    let failing = false;
    const lease = new ClaimLease(
      async () => {
        if (failing) throw new Error('database unreachable');
        return 1;
      },
      3_000,
      Date.now(),
      (error) => errors.push(error),
    );
    const stop = lease.start();
    await jest.advanceTimersByTimeAsync(2_000); // renewed at 1 s and 2 s: held until 5 s
    failing = true;
    await jest.advanceTimersByTimeAsync(2_900); // 4.9 s
    expect(lease.lost).toBe(false);
    await jest.advanceTimersByTimeAsync(100); // 5 s
    expect(lease.lost).toBe(true);
    expect(errors.length).toBeGreaterThan(0);
    stop();
  });

  it('counts the lease from when the claim or renewal was asked for, not from its answer', async () => {
    const slow = new ClaimLease(() => new Promise<number>((resolve) => setTimeout(() => resolve(1), 2_500)), 3_000, Date.now());
    const stop = slow.start();
    // Asked at 1 s, answered at 3.5 s: held until 4 s (not 6.5 s), unless a later renewal comes back first.
    await jest.advanceTimersByTimeAsync(3_500);
    expect(slow.lost).toBe(false);
    stop();
    await jest.advanceTimersByTimeAsync(500);
    expect(slow.lost).toBe(true);
  });

  it('without a way to renew, lasts its first lease', async () => {
    const lease = new ClaimLease(undefined, 3_000, Date.now());
    lease.start();
    await jest.advanceTimersByTimeAsync(2_999);
    expect(lease.lost).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(lease.lost).toBe(true);
  });
});
