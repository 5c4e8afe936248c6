import { disconnectPrisma } from './shutdown';

describe('disconnectPrisma', () => {
  it('waits for a disconnect that finishes', async () => {
    let done = false;
    await disconnectPrisma({
      $disconnect: () => new Promise<void>((r) => setTimeout(() => ((done = true), r()), 20)),
    });
    expect(done).toBe(true);
  });

  it('gives up on a disconnect that hangs, and says so', async () => {
    const said: string[] = [];
    await disconnectPrisma(
      { $disconnect: () => new Promise<void>(() => undefined) },
      { timeoutMs: 30, onTimeout: (m) => said.push(m) },
    );
    expect(said).toEqual([expect.stringContaining('did not finish within 30 ms')]);
  });

  it('passes a failing disconnect on', async () => {
    await expect(disconnectPrisma({ $disconnect: () => Promise.reject(new Error('boom')) })).rejects.toThrow(
      'boom',
    );
  });
});
