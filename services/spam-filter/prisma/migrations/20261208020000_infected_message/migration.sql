-- Messages virus-scan found infected, so the quarantine refuses to forward them out of the domain (QA: the
-- forward was accepted, then delivery dropped the copy and nobody was told).
-- CreateTable
CREATE TABLE "InfectedMessage" (
    "messageId" TEXT NOT NULL,
    "tenantId" TEXT NOT NULL,
    "findings" JSONB NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "InfectedMessage_pkey" PRIMARY KEY ("messageId")
);

-- CreateIndex
CREATE INDEX "InfectedMessage_at_idx" ON "InfectedMessage"("at");
