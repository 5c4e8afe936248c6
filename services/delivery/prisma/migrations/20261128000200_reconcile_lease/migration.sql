-- A periodic job held by one replica at a time through a lease row (holder, until), renewed while it runs:
-- a reconciliation pass lists the object store for minutes, far longer than a transaction should stay open.
CREATE TABLE "job_lease" (
    "name" TEXT NOT NULL,
    "holder" TEXT NOT NULL,
    "until" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "job_lease_pkey" PRIMARY KEY ("name")
);

-- Stored messages that reconciliation published again because delivery had no row for them. Counted, so
-- that one whose event never becomes a row (dead-lettered: a bad event) is given up after a few tries and
-- reported, instead of being published again on every pass for the whole horizon.
CREATE TABLE "reconcile_orphan" (
    "message_id" TEXT NOT NULL,
    "object_key" TEXT NOT NULL,
    "republished" INTEGER NOT NULL DEFAULT 0,
    "first_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "reconcile_orphan_pkey" PRIMARY KEY ("message_id")
);
