import { HashSlots, HashSlotsBusyError } from './hash-slots';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('HashSlots', () => {
  it('runs at most `slots` at once, the rest in arrival order; a full line is refused at once', async () => {
    const slots = new HashSlots(2, 3);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const releases: (() => void)[] = [];
    const job = (n: number) =>
      slots.run(async () => {
        running++;
        most = Math.max(most, running);
        order.push(n);
        await new Promise<void>((resolve) => releases.push(resolve));
        running--;
        return n;
      });
    const accepted = [1, 2, 3, 4, 5].map(job);
    await tick();
    expect(order).toEqual([1, 2]);
    await expect(job(6)).rejects.toBeInstanceOf(HashSlotsBusyError);
    while (releases.length) {
      releases.shift()?.();
      await tick();
      await tick();
    }
    expect(await Promise.all(accepted)).toEqual([1, 2, 3, 4, 5]);
    expect(order).toEqual([1, 2, 3, 4, 5]);
    expect(most).toBe(2);
    // Every slot is free again: two run at once without waiting.
    await expect(Promise.all([slots.run(async () => 'a'), slots.run(async () => 'b')])).resolves.toEqual(['a', 'b']);
  });

  it('frees the slot when the work fails', async () => {
    const slots = new HashSlots(1, 0);
    await expect(slots.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(slots.run(async () => 'next')).resolves.toBe('next');
  });
});
