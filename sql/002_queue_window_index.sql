-- A run claims every runnable request, then reads them back in windows in
-- received order (queue_next_window); this index serves that read without
-- re-sorting the remaining rows for every window. It starts with status,
-- so it also serves every lookup by status, and the old index goes.
CREATE INDEX erasure_queue_window ON erasure_queue(status, received_at, request_id);
DROP INDEX erasure_queue_status;
