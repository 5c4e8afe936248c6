-- A claim's identity: a stale claimant (its lease ran out and another worker claimed the recipient again)
-- can neither renew the lease nor write its outcome.
ALTER TABLE "recipient" ADD COLUMN "claim_token" TEXT;
