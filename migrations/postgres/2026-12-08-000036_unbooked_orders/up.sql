-- The orders a close has still to book (#24, P5): each booking chunk picks the next 200 of
-- its cycle in id order, and the preview and the hub's close page sum the same orders.
-- Without it every chunk read all the cycle's orders again, booked ones included (a
-- 10,000-order close read 500,000 rows to pick its chunks). Only `booked_at IS NULL` in
-- the predicate: a state bound as a parameter could not prove a partial index's literal.
-- Keep in step with the other backend's copy.
CREATE INDEX orders_unbooked ON orders (order_cycle_id, state, id) WHERE booked_at IS NULL;
