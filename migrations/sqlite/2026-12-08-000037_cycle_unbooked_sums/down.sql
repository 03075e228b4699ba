DROP INDEX orders_booked;
DROP TABLE cycle_unbooked_sums;
