-- CreateSchema

-- CreateEnum
CREATE TYPE "Direction" AS ENUM ('inbound', 'outbound');

-- CreateEnum
CREATE TYPE "MessageOrigin" AS ENUM ('received', 'submit');

-- CreateEnum
CREATE TYPE "RecipientState" AS ENUM ('pending', 'awaiting_verdicts', 'delivering', 'delivered', 'deferred', 'bounced', 'dropped', 'quarantined', 'held');

-- CreateTable
CREATE TABLE "message" (
    "id" TEXT NOT NULL,
    "origin" "MessageOrigin" NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "domain" TEXT NOT NULL,
    "direction" "Direction" NOT NULL,
    "bucket" TEXT NOT NULL,
    "object_key" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL,
    "envelope" JSONB NOT NULL,
    "event" JSONB NOT NULL,
    "required_verdicts" TEXT[],
    "verdict_policy" JSONB NOT NULL,
    "evaluate_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "message_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "recipient" (
    "id" BIGSERIAL NOT NULL,
    "message_id" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "notify" TEXT[],
    "orcpt" TEXT NOT NULL DEFAULT '',
    "state" "RecipientState" NOT NULL,
    "reason" TEXT NOT NULL DEFAULT '',
    "treatment" JSONB,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3),
    "lease_until" TIMESTAMPTZ(3),
    "last_code" INTEGER,
    "last_enhanced" TEXT,
    "last_text" TEXT,
    "remote_host" TEXT,
    "remote_ip" TEXT,
    "first_failed_at" TIMESTAMPTZ(3),
    "dsn_pending" BOOLEAN NOT NULL DEFAULT false,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "recipient_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "verdict" (
    "message_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "verdict_pkey" PRIMARY KEY ("message_id","kind")
);

-- CreateTable
CREATE TABLE "attempt" (
    "id" BIGSERIAL NOT NULL,
    "message_id" TEXT NOT NULL,
    "recipients" TEXT[],
    "host" TEXT NOT NULL DEFAULT '',
    "ip" TEXT NOT NULL DEFAULT '',
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ended_at" TIMESTAMPTZ(3),
    "outcome" TEXT,
    "data_code" INTEGER,
    "data_text" TEXT,

    CONSTRAINT "attempt_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "outbox" (
    "id" BIGSERIAL NOT NULL,
    "subject" TEXT NOT NULL,
    "msg_id" TEXT NOT NULL,
    "type_name" TEXT NOT NULL,
    "payload" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_at" TIMESTAMPTZ(3),

    CONSTRAINT "outbox_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "message_domain_created_at_idx" ON "message"("domain", "created_at");

-- CreateIndex
CREATE INDEX "message_tenant_id_created_at_idx" ON "message"("tenant_id", "created_at");

-- CreateIndex
CREATE INDEX "message_evaluate_at_idx" ON "message"("evaluate_at");

-- CreateIndex
CREATE INDEX "recipient_state_next_attempt_at_idx" ON "recipient"("state", "next_attempt_at");

-- CreateIndex
CREATE INDEX "recipient_dsn_pending_idx" ON "recipient"("dsn_pending");

-- CreateIndex
CREATE UNIQUE INDEX "recipient_message_id_address_key" ON "recipient"("message_id", "address");

-- CreateIndex
CREATE INDEX "attempt_message_id_idx" ON "attempt"("message_id");

-- CreateIndex
CREATE UNIQUE INDEX "outbox_msg_id_key" ON "outbox"("msg_id");

-- CreateIndex
CREATE INDEX "outbox_published_at_id_idx" ON "outbox"("published_at", "id");

-- AddForeignKey
ALTER TABLE "recipient" ADD CONSTRAINT "recipient_message_id_fkey" FOREIGN KEY ("message_id") REFERENCES "message"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "attempt" ADD CONSTRAINT "attempt_message_id_fkey" FOREIGN KEY ("message_id") REFERENCES "message"("id") ON DELETE CASCADE ON UPDATE CASCADE;

