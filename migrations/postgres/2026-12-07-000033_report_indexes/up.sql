-- What a producer delivers, cycle by cycle, is read by its lines (the producer's deliveries
-- page): an index on the producer, not a scan of every order line (#23).
-- Keep in step with the other backend's copy.
CREATE INDEX order_lines_by_producer ON order_lines (producer_id);
