-- Addresses a user logged in from (F4): a login from one of them is exempt from the account-wide back-off that
-- guessing from many addresses earns, so guessing cannot keep the owner out. A few per user, forgotten after 30 days.
CREATE TABLE "tenant"."LoginKnownAddress" (
    "userId" UUID NOT NULL,
    "ip" TEXT NOT NULL,
    "lastSuccessAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "LoginKnownAddress_pkey" PRIMARY KEY ("userId", "ip")
);

CREATE INDEX "LoginKnownAddress_lastSuccessAt_idx" ON "tenant"."LoginKnownAddress"("lastSuccessAt");

ALTER TABLE "tenant"."LoginKnownAddress" ADD CONSTRAINT "LoginKnownAddress_userId_fkey" FOREIGN KEY ("userId") REFERENCES "tenant"."User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
