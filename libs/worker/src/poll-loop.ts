export interface PollLoopOptions {
  /** One round of work; resolves true when there may be more to do at once (no pause before the next). */
  step: () => Promise<boolean>;
  /** Pause after an idle round, unless nudged. */
  idleMs: number;
  /** A failed round is reported and the loop goes on (the database is the source of truth; it retries). */
  onError: (error: unknown) => void;
}

/**
 * The loop behind the database-driven workers (delivery's worker and outbox relay, the spool): rounds back
 * to back while there is work, a pause when idle, `nudge()` to look now, `stop()` that waits for the round
 * in progress. A nudge during a round means "look again" and skips the pause.
 */
export class PollLoop {
  private stopped = false;
  private nudged = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly options: PollLoopOptions) {}

  start(): void {
    this.stopped = false;
    this.loop = this.run();
  }

  /** Ends the loop after the round in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  /** Something changed: run a round now instead of at the end of the pause. */
  nudge(): void {
    this.nudged = true;
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      this.nudged = false;
      let busy = false;
      try {
        busy = await this.options.step();
      } catch (error) {
        this.options.onError(error);
      }
      if (!busy && !this.nudged && !this.stopped) await this.pause();
    }
  }

  private pause(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.options.idleMs);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    }).finally(() => (this.wake = undefined));
  }
}
