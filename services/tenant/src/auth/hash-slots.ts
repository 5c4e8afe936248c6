/** Raised when every slot is taken and the line is full: answer at once instead of queueing without end. */
export class HashSlotsBusyError extends Error {
  constructor(waiting: number) {
    super(`${waiting} logins already wait for a password check`);
    this.name = 'HashSlotsBusyError';
  }
}

/**
 * A small semaphore for the password hashes of logins. scrypt runs on libuv's thread pool (4 threads), which
 * the service's API-key checks (also scrypt) and DNS share: unbounded, a flood of logins queues every API-key
 * check of the gateway behind it (F4: checks took over 5 s and the other services answered 503). With `slots`
 * below the pool size, the rest of the pool stays free for them; at most `maxWaiting` logins wait in line.
 */
export class HashSlots {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly slots: number,
    private readonly maxWaiting: number,
  ) {}

  /** Runs `work` in a slot, waiting for one in arrival order; HashSlotsBusyError when the line is full. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.slots) {
      if (this.waiting.length >= this.maxWaiting) throw new HashSlotsBusyError(this.waiting.length);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next in line (it stays counted as active), or is freed.
      if (next) next();
      else this.active--;
    }
  }
}
