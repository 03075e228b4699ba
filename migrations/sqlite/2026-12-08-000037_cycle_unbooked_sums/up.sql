-- What each cycle's confirmed orders not booked yet hold, kept as running sums (#23): the
-- close page's preview reads a cycle's few rows (per kind, producer and local currency)
-- instead of summing its 5,000 lines on every visit. Checkout, cancellation, adjustment and
-- booking change them in the same transaction as the orders (`orders::close::sums`); the
-- marketplace property checks after every step that they equal the sums worked out from
-- the orders. `producer_id` and `currency` are '' where there is none (a key column cannot
-- be NULL); `counted` is how many lines, fees or orders a row sums (0: the row sums none and
-- is not read). Keep in step with the other backend's copy.
CREATE TABLE cycle_unbooked_sums (
    order_cycle_id TEXT NOT NULL REFERENCES order_cycles (id),
    kind           TEXT NOT NULL CHECK (kind IN ('goods', 'fees', 'vat', 'held', 'orders')),
    producer_id    TEXT NOT NULL,
    currency       TEXT NOT NULL,
    total          BIGINT NOT NULL,
    local          BIGINT NOT NULL,
    counted        BIGINT NOT NULL,
    PRIMARY KEY (order_cycle_id, kind, producer_id, currency)
);
-- the sums of the orders there are: `orders::close::sums::UNBOOKED` over every cycle
INSERT INTO cycle_unbooked_sums
    (order_cycle_id, kind, producer_id, currency, total, local, counted)
WITH o AS (
        SELECT o.id AS id, o.order_cycle_id AS cycle,
            COALESCE(o.local_currency, '') AS currency, o.local_minor AS local_minor,
            o.euro_minor AS euro_minor, o.shipping_fee_minor AS shipping_fee_minor,
            CASE WHEN a.order_id IS NULL THEN 0 ELSE 1 END AS allocated,
            a.shipping_vat_minor AS shipping_vat_minor,
            a.shipping_vat_local_minor AS shipping_vat_local_minor
        FROM orders o LEFT JOIN order_allocations a ON a.order_id = o.id
        WHERE o.state = 'confirmed' AND o.booked_at IS NULL)
    SELECT o.cycle, 'goods', COALESCE(l.producer_id, ''), o.currency,
        CAST(SUM(l.total_minor) AS BIGINT), CAST(SUM(l.local_alloc_minor) AS BIGINT),
        CAST(COUNT(*) AS BIGINT)
    FROM o JOIN order_lines l ON l.order_id = o.id
    WHERE o.allocated = 1
    GROUP BY o.cycle, COALESCE(l.producer_id, ''), o.currency
    UNION ALL
    SELECT o.cycle, 'fees', COALESCE(f.producer_id, ''), o.currency,
        CAST(SUM(f.amount_minor) AS BIGINT), CAST(SUM(f.local_alloc_minor) AS BIGINT),
        CAST(COUNT(*) AS BIGINT)
    FROM o JOIN order_fees f ON f.order_id = o.id
    WHERE o.allocated = 1 AND f.charged_to = 'producer'
    GROUP BY o.cycle, COALESCE(f.producer_id, ''), o.currency
    UNION ALL
    SELECT v.cycle, 'vat', '', v.currency, CAST(SUM(v.vat) AS BIGINT),
        CAST(SUM(v.vat_local) AS BIGINT), CAST(COUNT(*) AS BIGINT)
    FROM (SELECT o.cycle AS cycle, o.currency AS currency, f.vat_minor AS vat,
                f.vat_local_minor AS vat_local
            FROM o JOIN order_fees f ON f.order_id = o.id
            WHERE o.allocated = 1
        UNION ALL
        SELECT cycle, currency, shipping_vat_minor, shipping_vat_local_minor
            FROM o WHERE allocated = 1 AND shipping_fee_minor > 0) v
    GROUP BY v.cycle, v.currency
    UNION ALL
    SELECT cycle, 'held', '', currency, CAST(SUM(euro_minor) AS BIGINT),
        CAST(SUM(local_minor) AS BIGINT), CAST(COUNT(*) AS BIGINT)
    FROM o GROUP BY cycle, currency
    UNION ALL
    SELECT cycle, 'orders', '', '', CAST(COUNT(*) AS BIGINT), CAST(0 AS BIGINT),
        CAST(COUNT(*) AS BIGINT)
    FROM o GROUP BY cycle;
-- What the booked orders of a cycle hold is summed by the settlement and the preview: the
-- cycle's booked orders through an index of their own, not every order of the cycle read
-- to find them (the close page of a cycle with nothing booked yet read its 1,000 orders
-- five times to find none).
CREATE INDEX orders_booked ON orders (order_cycle_id, id) WHERE booked_at IS NOT NULL;
