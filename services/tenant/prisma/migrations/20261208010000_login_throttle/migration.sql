-- Failed logins per account and per client IP (F4): shared by every replica, so a lock holds across them.
CREATE TABLE "tenant"."LoginThrottle" (
    "key" TEXT NOT NULL,
    "failures" INTEGER NOT NULL,
    "lastFailureAt" TIMESTAMPTZ(3) NOT NULL,
    "lockedUntil" TIMESTAMPTZ(3),

    CONSTRAINT "LoginThrottle_pkey" PRIMARY KEY ("key")
);

CREATE INDEX "LoginThrottle_lastFailureAt_idx" ON "tenant"."LoginThrottle"("lastFailureAt");
