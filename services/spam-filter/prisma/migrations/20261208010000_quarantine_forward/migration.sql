-- Forwards of quarantined messages within the rate-limit window (security review F1: a forward had no limit).
-- CreateTable
CREATE TABLE "QuarantineForward" (
    "id" UUID NOT NULL,
    "tenantId" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "itemId" UUID NOT NULL,
    "to" TEXT NOT NULL,
    "submitId" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "QuarantineForward_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "QuarantineForward_tenantId_at_idx" ON "QuarantineForward"("tenantId", "at");
