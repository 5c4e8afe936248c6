-- CreateTable
CREATE TABLE "QuarantineItem" (
    "id" UUID NOT NULL,
    "tenantId" TEXT NOT NULL,
    "domain" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "sender" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "date" TIMESTAMPTZ(3) NOT NULL,
    "quarantinedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "scorePercent" DOUBLE PRECISION NOT NULL,
    "size" INTEGER NOT NULL,
    "objectKey" TEXT NOT NULL,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "QuarantineItem_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "QuarantineBox" (
    "address" TEXT NOT NULL,
    "domain" TEXT NOT NULL,
    "tenantId" TEXT NOT NULL,
    "quotaBytes" BIGINT,
    "retentionDays" INTEGER NOT NULL DEFAULT 14,
    "digestHours" INTEGER,
    "lastDigestAt" TIMESTAMPTZ(3),
    "warned" BOOLEAN NOT NULL DEFAULT false,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "QuarantineBox_pkey" PRIMARY KEY ("address")
);

-- CreateTable
CREATE TABLE "QuarantineRefusal" (
    "messageId" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "QuarantineRefusal_pkey" PRIMARY KEY ("messageId","address")
);

-- CreateTable
CREATE TABLE "QuarantineOutbox" (
    "submitId" TEXT NOT NULL,
    "payload" BYTEA NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "publishedAt" TIMESTAMPTZ(3),

    CONSTRAINT "QuarantineOutbox_pkey" PRIMARY KEY ("submitId")
);

-- CreateTable
CREATE TABLE "QuarantineTokenUse" (
    "jti" TEXT NOT NULL,
    "usedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "QuarantineTokenUse_pkey" PRIMARY KEY ("jti")
);

-- CreateIndex
CREATE INDEX "QuarantineItem_address_quarantinedAt_idx" ON "QuarantineItem"("address", "quarantinedAt");

-- CreateIndex
CREATE INDEX "QuarantineItem_domain_idx" ON "QuarantineItem"("domain");

-- CreateIndex
CREATE INDEX "QuarantineItem_expiresAt_idx" ON "QuarantineItem"("expiresAt");

-- CreateIndex
CREATE INDEX "QuarantineItem_objectKey_idx" ON "QuarantineItem"("objectKey");

-- CreateIndex
CREATE UNIQUE INDEX "QuarantineItem_messageId_address_key" ON "QuarantineItem"("messageId", "address");

-- CreateIndex
CREATE INDEX "QuarantineBox_domain_idx" ON "QuarantineBox"("domain");

-- CreateIndex
CREATE INDEX "QuarantineOutbox_publishedAt_idx" ON "QuarantineOutbox"("publishedAt");

