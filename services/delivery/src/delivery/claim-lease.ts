/** What the executor asks before each SMTP transaction of a claim: may it still send? */
export interface ClaimStatus {
  readonly lost: boolean;
}

/**
 * Keeps the lease of one claim while its message is being delivered: renews it every third of a lease. The
 * claim is lost once a renewal found none of its recipients still claimed under its token (another worker
 * took them after the lease ran out), or once no renewal succeeded for a whole lease (the database out of
 * reach: the lease may have run out and another replica claimed the recipients again). A lost claim sends
 * no further hop or group: that would deliver the same recipients twice.
 *
 * The lease is counted from this process's clock, from before the claim or renewal was asked for, so it
 * never ends later here than in the database.
 */
export class ClaimLease implements ClaimStatus {
  private validUntil: number;
  private gone = false;
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param renew extends the lease in the database; resolves with how many recipients are still claimed
   *   (undefined: a claim that cannot be renewed, which lasts its first lease).
   * @param claimedAt `Date.now()` taken before the claim was made.
   */
  constructor(
    private readonly renew: (() => Promise<number>) | undefined,
    private readonly leaseMs: number,
    claimedAt: number,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {
    this.validUntil = claimedAt + leaseMs;
  }

  get lost(): boolean {
    return this.gone || Date.now() >= this.validUntil;
  }

  /** Starts renewing; returns the function that stops it. */
  start(): () => void {
    if (this.renew) this.timer ??= setInterval(() => void this.renewOnce(), Math.max(1, Math.floor(this.leaseMs / 3)));
    return () => this.stop();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One renewal (what the timer runs). */
  async renewOnce(): Promise<void> {
    if (!this.renew) return;
    const askedAt = Date.now();
    try {
      const held = await this.renew();
      if (held === 0) this.gone = true;
      else this.validUntil = Math.max(this.validUntil, askedAt + this.leaseMs);
    } catch (error) {
      this.onError(error);
    }
  }
}
