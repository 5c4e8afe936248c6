-- A row that cannot be published backs off on its own (attempts, next_attempt_at) instead of blocking every
-- later row; one refused as bad too often is moved aside (failed_at) with the reason kept (last_error).
ALTER TABLE "outbox" ADD COLUMN "attempts" INTEGER NOT NULL DEFAULT 0,
                     ADD COLUMN "next_attempt_at" TIMESTAMPTZ(3),
                     ADD COLUMN "failed_at" TIMESTAMPTZ(3),
                     ADD COLUMN "last_error" TEXT;

-- The ordering key (a status event's message id: the part of msg_id before the first ':'), for the
-- "is an earlier row of this key still backing off" test of the relay's query.
CREATE INDEX "outbox_pending_key_idx" ON "outbox" (split_part("msg_id", ':', 1), "id")
  WHERE "published_at" IS NULL AND "failed_at" IS NULL;
