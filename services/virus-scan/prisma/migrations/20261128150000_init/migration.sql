-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "virus";

-- CreateEnum
CREATE TYPE "ScanStatus" AS ENUM ('clean', 'infected', 'unscannable');

-- CreateEnum
CREATE TYPE "Direction" AS ENUM ('inbound', 'outbound');

-- CreateTable
CREATE TABLE "scans" (
    "message_id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "domain" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "direction" "Direction" NOT NULL,
    "status" "ScanStatus" NOT NULL,
    "findings" JSONB NOT NULL,
    "engine" TEXT NOT NULL,
    "scanned_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "scans_pkey" PRIMARY KEY ("message_id")
);

-- CreateIndex
CREATE INDEX "scans_domain_day_idx" ON "scans"("domain", "day");

-- CreateIndex
CREATE INDEX "scans_tenant_id_day_idx" ON "scans"("tenant_id", "day");

