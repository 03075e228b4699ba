DROP INDEX orders_unbooked;
