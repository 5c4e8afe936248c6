-- The W3C trace context (traceparent) of the event that brought the message, so that its delivery attempts,
-- which run from the worker loop long after the event was acknowledged, belong to the same trace.
ALTER TABLE "message" ADD COLUMN "trace_parent" TEXT;
