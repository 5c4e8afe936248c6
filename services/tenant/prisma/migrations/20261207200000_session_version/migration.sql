-- A login token carries the user's session version (`sv`); raising it ends every earlier token.
ALTER TABLE "tenant"."User" ADD COLUMN "sessionVersion" INTEGER NOT NULL DEFAULT 0;
