-- CreateSchema

-- CreateTable
CREATE TABLE "DomainPolicy" (
    "domain" TEXT NOT NULL,
    "tenantId" TEXT NOT NULL,
    "threshold" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "tag" TEXT NOT NULL,
    "priority" TEXT NOT NULL,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "updatedBy" TEXT NOT NULL,

    CONSTRAINT "DomainPolicy_pkey" PRIMARY KEY ("domain")
);

-- CreateTable
CREATE TABLE "AddressPolicy" (
    "domain" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "tenantId" TEXT NOT NULL,
    "threshold" TEXT,
    "action" TEXT,
    "tag" TEXT,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "updatedBy" TEXT NOT NULL,

    CONSTRAINT "AddressPolicy_pkey" PRIMARY KEY ("domain","address")
);

-- CreateTable
CREATE TABLE "ListEntry" (
    "id" UUID NOT NULL,
    "tenantId" TEXT NOT NULL,
    "domain" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "list" TEXT NOT NULL,
    "field" TEXT NOT NULL,
    "match" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "createdBy" TEXT NOT NULL,

    CONSTRAINT "ListEntry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ScoredMessage" (
    "messageId" TEXT NOT NULL,
    "tenantId" TEXT NOT NULL,
    "domain" TEXT NOT NULL,
    "objectKey" TEXT NOT NULL,
    "recipients" TEXT[],
    "scorePercent" DOUBLE PRECISION NOT NULL,
    "verdict" BYTEA NOT NULL,
    "input" JSONB NOT NULL,
    "scoredAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ScoredMessage_pkey" PRIMARY KEY ("messageId")
);

-- CreateTable
CREATE TABLE "Feedback" (
    "id" BIGSERIAL NOT NULL,
    "tenantId" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Feedback_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TenantDelta" (
    "tenantId" TEXT NOT NULL,
    "delta" JSONB NOT NULL,
    "reports" INTEGER NOT NULL DEFAULT 0,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "TenantDelta_pkey" PRIMARY KEY ("tenantId")
);

-- CreateTable
CREATE TABLE "DailyCounter" (
    "day" DATE NOT NULL,
    "domain" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "tenantId" TEXT NOT NULL,
    "received" INTEGER NOT NULL DEFAULT 0,
    "spam" INTEGER NOT NULL DEFAULT 0,
    "tagged" INTEGER NOT NULL DEFAULT 0,
    "quarantined" INTEGER NOT NULL DEFAULT 0,
    "deletedByBlock" INTEGER NOT NULL DEFAULT 0,
    "deliveredByAllow" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "DailyCounter_pkey" PRIMARY KEY ("day","domain","address")
);

-- CreateTable
CREATE TABLE "AuditLog" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor" TEXT NOT NULL,
    "actorRole" TEXT NOT NULL,
    "tenantId" TEXT,
    "domain" TEXT,
    "action" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "details" JSONB,

    CONSTRAINT "AuditLog_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ListEntry_domain_address_idx" ON "ListEntry"("domain", "address");

-- CreateIndex
CREATE UNIQUE INDEX "ListEntry_domain_address_list_field_match_value_key" ON "ListEntry"("domain", "address", "list", "field", "match", "value");

-- CreateIndex
CREATE INDEX "ScoredMessage_scoredAt_idx" ON "ScoredMessage"("scoredAt");

-- CreateIndex
CREATE UNIQUE INDEX "Feedback_tenantId_messageId_key" ON "Feedback"("tenantId", "messageId");

-- CreateIndex
CREATE INDEX "AuditLog_tenantId_at_idx" ON "AuditLog"("tenantId", "at");

