DROP INDEX order_lines_allocated;
DROP TABLE order_allocations;
