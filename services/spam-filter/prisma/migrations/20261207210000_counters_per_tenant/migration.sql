-- Report counters belong to the tenant that had the domain that day: a domain deleted from one tenant and
-- registered for another starts from zero there, and the first tenant's rows stay as they were. Existing rows
-- keep their tenantId (the tenant that counted them).
ALTER TABLE "DailyCounter" DROP CONSTRAINT "DailyCounter_pkey",
ADD CONSTRAINT "DailyCounter_pkey" PRIMARY KEY ("day", "tenantId", "domain", "address");
