-- The strongest evidence each way when the message was scored ({ spam: [...], ham: [...], rules: [...] }),
-- for GET …/spam/messages/{messageId}. Messages scored before this migration have none.
ALTER TABLE "ScoredMessage" ADD COLUMN "reasons" JSONB NOT NULL DEFAULT '{}';
