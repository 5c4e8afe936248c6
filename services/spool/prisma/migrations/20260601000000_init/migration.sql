-- CreateEnum
CREATE TYPE "Direction" AS ENUM ('inbound', 'outbound');

-- CreateTable
CREATE TABLE "spooled_message" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "domain" TEXT NOT NULL,
    "direction" "Direction" NOT NULL,
    "bucket" TEXT NOT NULL,
    "object_key" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "mail_from" TEXT NOT NULL,
    "ret" TEXT NOT NULL,
    "envid" TEXT NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL,
    "first_failed_at" TIMESTAMPTZ(3) NOT NULL,
    "retry_interval_ms" INTEGER NOT NULL,
    "delay_notice_at" TIMESTAMPTZ(3) NOT NULL,
    "give_up_at" TIMESTAMPTZ(3) NOT NULL,
    "delay_notice_sent" BOOLEAN NOT NULL DEFAULT false,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL,
    "lease_until" TIMESTAMPTZ(3),
    "last_error" TEXT NOT NULL DEFAULT '',
    "last_status" TEXT NOT NULL DEFAULT '4.4.1',
    "remote_host" TEXT NOT NULL DEFAULT '',
    "last_attempt_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "spooled_message_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "spooled_recipient" (
    "message_id" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "notify" TEXT[],
    "orcpt" TEXT NOT NULL DEFAULT '',

    CONSTRAINT "spooled_recipient_pkey" PRIMARY KEY ("message_id","address")
);

-- CreateIndex
CREATE INDEX "spooled_message_next_attempt_at_idx" ON "spooled_message"("next_attempt_at");

-- CreateIndex
CREATE INDEX "spooled_message_domain_received_at_idx" ON "spooled_message"("domain", "received_at");

-- AddForeignKey
ALTER TABLE "spooled_recipient" ADD CONSTRAINT "spooled_recipient_message_id_fkey" FOREIGN KEY ("message_id") REFERENCES "spooled_message"("id") ON DELETE CASCADE ON UPDATE CASCADE;
