-- An order's local part allocated when it is checked out or adjusted, not only when it is
-- booked (#23): the lines' and fees' `local_alloc_minor` (and the fees' `vat_local_minor`)
-- hold it, and this table its pickup or delivery fee's VAT and local part (booking stores
-- that fee as one more of the order's fees). An order with a row here carries its current
-- allocation; orders checked out before this migration have none, and the close's preview
-- allocates those in memory. (A table apart: `orders` has the 32 columns diesel's tables
-- allow.) Keep in step with the other backend's copy.
CREATE TABLE order_allocations (
    order_id                   TEXT PRIMARY KEY REFERENCES orders (id),
    shipping_vat_minor         BIGINT NOT NULL,
    shipping_local_alloc_minor BIGINT NOT NULL,
    shipping_vat_local_minor   BIGINT NOT NULL
);
-- The preview sums the stored allocation of a cycle's lines: read from the index alone.
CREATE INDEX order_lines_allocated
    ON order_lines (order_id, producer_id, total_minor, local_alloc_minor);
