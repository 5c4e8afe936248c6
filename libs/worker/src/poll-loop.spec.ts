import { PollLoop } from './index';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('PollLoop', () => {
  it('runs rounds back to back while busy, then pauses when idle', async () => {
    let rounds = 0;
    const loop = new PollLoop({ step: async () => ++rounds < 5, idleMs: 60_000, onError: () => undefined });
    loop.start();
    await tick(50);
    expect(rounds).toBe(5); // four busy rounds, one idle round, then the long pause
    await loop.stop();
  });

  it('a nudge ends the pause at once', async () => {
    let rounds = 0;
    const loop = new PollLoop({ step: async () => (rounds++, false), idleMs: 60_000, onError: () => undefined });
    loop.start();
    await tick(20);
    expect(rounds).toBe(1);
    loop.nudge();
    await tick(20);
    expect(rounds).toBe(2);
    await loop.stop();
  });

  it('a nudge during a round skips the next pause', async () => {
    let rounds = 0;
    const loop = new PollLoop({
      step: async () => {
        rounds++;
        if (rounds === 1) loop.nudge();
        return false;
      },
      idleMs: 60_000,
      onError: () => undefined,
    });
    loop.start();
    await tick(20);
    expect(rounds).toBe(2);
    await loop.stop();
  });

  it('reports a failed round and goes on', async () => {
    const errors: unknown[] = [];
    let rounds = 0;
    const loop = new PollLoop({
      step: async () => {
        rounds++;
        if (rounds === 1) throw new Error('db away');
        return false;
      },
      idleMs: 5,
      onError: (e) => errors.push(e),
    });
    loop.start();
    await tick(40);
    expect(errors).toHaveLength(1);
    expect(rounds).toBeGreaterThan(1);
    await loop.stop();
  });

  it('stop waits for the round in progress and ends the pause', async () => {
    let finished = false;
    const loop = new PollLoop({
      step: async () => {
        await tick(30);
        finished = true;
        return false;
      },
      idleMs: 60_000,
      onError: () => undefined,
    });
    loop.start();
    await tick(5);
    await loop.stop();
    expect(finished).toBe(true);
  });
});
