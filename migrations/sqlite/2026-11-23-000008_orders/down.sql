DROP TABLE idempotency_keys;
DROP TABLE order_lines;
DROP TABLE orders;
DROP TABLE cycle_shipping_methods;
