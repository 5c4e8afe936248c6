-- CreateTable
CREATE TABLE "resolved_recipient" (
    "message_id" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "resolved_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "resolved_recipient_pkey" PRIMARY KEY ("message_id","address")
);

-- CreateIndex
CREATE INDEX "resolved_recipient_resolved_at_idx" ON "resolved_recipient"("resolved_at");
